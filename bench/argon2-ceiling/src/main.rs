//! Prints the argon2id hash rate (hashes/s) of this machine using all cores (or `--threads N`)
//! for `--seconds S` (default 5), with Madoguchi's password parameters: m = 19456 KiB, t = 2, p = 1.
//! Each thread hashes in a loop, allocating its memory per hash as `verify_password` does.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};

fn arg(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let threads = arg("--threads")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64));
    let seconds = arg("--seconds").unwrap_or(5);
    let params = match Params::new(19_456, 2, 1, Some(32)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bad argon2 parameters: {e}");
            std::process::exit(1);
        }
    };
    let deadline = Duration::from_secs(seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let params = params.clone();
            std::thread::spawn(move || {
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let salt = format!("madoguchi-bench-salt-{t}");
                let mut out = [0u8; 32];
                let mut n: u64 = 0;
                while start.elapsed() < deadline {
                    if argon
                        .hash_password_into(b"bench-password-2026", salt.as_bytes(), &mut out)
                        .is_err()
                    {
                        eprintln!("argon2 hashing failed");
                        std::process::exit(1);
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    let elapsed = start.elapsed().as_secs_f64();
    println!("threads {threads}");
    println!("hashes {total}");
    println!("seconds {elapsed:.3}");
    println!("hashes_per_sec {:.2}", total as f64 / elapsed);
}
