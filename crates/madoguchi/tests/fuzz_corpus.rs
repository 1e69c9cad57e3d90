//! The fuzz targets' bodies (fuzz/targets.rs) as a normal test (issue 9): every seed in
//! `fuzz/corpus/<target>/` and, for each, a few hundred deterministic mutations (truncations,
//! byte flips, duplications) must go through without a panic. `bench/fuzz.sh` runs the real
//! fuzzer (cargo-fuzz, libFuzzer) for a set time; crashes it finds are added to the corpus
//! here so they stay fixed.

#[path = "../../../fuzz/targets.rs"]
mod targets;

use std::path::PathBuf;

fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(name);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (every target needs seeds)", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read seed"),
            )
        })
        .collect();
    out.sort();
    out
}

/// A small xorshift, so the mutations are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let n = rng.below(v.len());
                v.truncate(n);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = [0, 0xff, b'"', b'{', b',', b'\n', 0x82, 0xe3][rng.below(8)];
            }
            3 if !v.is_empty() => {
                let (a, b) = (rng.below(v.len()), rng.below(v.len()));
                let (a, b) = (a.min(b), a.max(b));
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, chunk);
            }
            4 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.remove(i);
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

#[test]
fn every_target_has_a_fuzz_binary_and_seeds() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (name, _) in targets::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        assert!(!corpus(name).is_empty(), "no seeds for {name}");
    }
}

#[test]
fn no_target_panics_on_its_corpus_or_mutations() {
    let mut runs = 0;
    for (name, body) in targets::TARGETS {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let seeds = corpus(name);
        // File-writing targets are slower: fewer mutations.
        let per_seed = if matches!(*name, "banks_import" | "roads_shapefile") {
            40
        } else {
            300
        };
        for (file, seed) in &seeds {
            let r = std::panic::catch_unwind(|| body(seed));
            assert!(r.is_ok(), "{name} panicked on seed {file}");
            for k in 0..per_seed {
                let input = mutate(seed, &mut rng);
                let r = std::panic::catch_unwind(|| body(&input));
                assert!(
                    r.is_ok(),
                    "{name} panicked on mutation {k} of {file}: {:?}",
                    String::from_utf8_lossy(&input)
                );
                runs += 1;
            }
        }
        body(b"");
    }
    eprintln!("{runs} inputs, no panic");
}
