//! Table and column names for sea-query, one enum per table in `migrations/`.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Municipalities {
    Table,
    Id,
    NameJa,
    NameEn,
    AuditSeq,
    AuditHead,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Departments {
    Table,
    Id,
    MunicipalityId,
    Code,
    NameJa,
    NameEn,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    MunicipalityId,
    Kind,
    Email,
    Name,
    PasswordHash,
    EmailVerifiedAt,
    DepartmentId,
    Role,
    Lang,
    LargeText,
    DisabledAt,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    IdHash,
    UserId,
    MunicipalityId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub enum EmailTokens {
    Table,
    TokenHash,
    UserId,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum LoginAttempts {
    Table,
    Id,
    MunicipalityId,
    Email,
    Ip,
    Success,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiTokens {
    Table,
    Id,
    MunicipalityId,
    UserId,
    TokenHash,
    Scope,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditEvents {
    Table,
    Id,
    MunicipalityId,
    Seq,
    At,
    Actor,
    Action,
    Target,
    Detail,
    PrevHash,
    Hash,
}

#[derive(Iden, Clone, Copy)]
pub enum OutboxEmails {
    Table,
    Id,
    MunicipalityId,
    ToAddr,
    Subject,
    Body,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    LastError,
    SentAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Passkeys {
    Table,
    Id,
    MunicipalityId,
    UserId,
    UserHandle,
    CredentialId,
    PasskeyJson,
    Name,
    CreatedAt,
    LastUsedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum WebauthnChallenges {
    Table,
    IdHash,
    MunicipalityId,
    UserId,
    Purpose,
    StateJson,
    CreatedAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Procedures {
    Table,
    Id,
    MunicipalityId,
    Slug,
    NameJa,
    NameEn,
    ReadingJa,
    DepartmentId,
    SummaryJa,
    SummaryEn,
    EligibilityJa,
    DocumentsJa,
    LegalBasis,
    FeeYen,
    ProcessingDays,
    IdentityLevel,
    LifeEvents,
    Online,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FormVersions {
    Table,
    Id,
    MunicipalityId,
    ProcedureId,
    Version,
    State,
    Definition,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Applications {
    Table,
    Id,
    MunicipalityId,
    Receipt,
    ProcedureId,
    FormVersionId,
    ApplicantUserId,
    ApplicantEmail,
    ApplicantName,
    Answers,
    Computed,
    FeeYen,
    State,
    DepartmentId,
    AssignedTo,
    CorrectionFields,
    DueAt,
    SubmittedAt,
    UpdatedAt,
    DecidedAt,
    GuestKeyDigest,
}

#[derive(Iden, Clone, Copy)]
pub enum IdempotencyKeys {
    Table,
    MunicipalityId,
    Scope,
    Key,
    RequestHash,
    ApplicationId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ApplicationEntries {
    Table,
    Id,
    ApplicationId,
    Kind,
    AuthorUserId,
    AuthorRole,
    FromState,
    ToState,
    Body,
    Fields,
    Internal,
    ReadAt,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ApplicationDrafts {
    Table,
    Id,
    MunicipalityId,
    ProcedureId,
    FormVersionId,
    OwnerUserId,
    Email,
    ResumeTokenHash,
    Answers,
    CurrentPage,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    /// Added by 0008 (runner): what was typed on each page, as typed.
    RawInput,
}

#[derive(Iden, Clone, Copy)]
pub enum Attachments {
    Table,
    Id,
    MunicipalityId,
    PublicId,
    DraftId,
    ApplicationId,
    OwnerUserId,
    FieldPath,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    Data,
    CreatedAt,
}
