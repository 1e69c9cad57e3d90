//! Workflow.
