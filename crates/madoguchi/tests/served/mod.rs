//! The real `madoguchi serve` binary as a child process, for the tests that kill or stop it
//! (crash.rs: SIGKILL; shutdown.rs: SIGTERM).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The binary with no `MADOGUCHI_*` variable of the test's environment.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MADOGUCHI_") {
            c.env_remove(k);
        }
    }
    c
}

pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `madoguchi serve` on a free port and waits for its "listening" log line.
#[allow(dead_code)]
pub fn start(url: &str) -> Server {
    start_with(url, &[])
}

/// [`start`] with configuration variables (`MADOGUCHI_…`) for the server.
pub fn start_with(url: &str, env: &[(String, String)]) -> Server {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env("MADOGUCHI_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent
                && let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == "listening"
            {
                let _ = tx.send(v["addr"].as_str().unwrap_or("").to_owned());
                sent = true;
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not start listening within 60 s");
    Server { child, addr }
}
