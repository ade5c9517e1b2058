//! python-stdnum (`stdnum.fr.nir`) as an independent oracle: on thousands of generated matricules
//! (Corsica included, random wrong keys, letters in random places), its verdict on format + key
//! must agree with ours. Requires `python3` with python-stdnum (installed by the test command).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use segur_ins::Matricule;
use std::io::Write;
use std::process::{Command, Stdio};

/// Small deterministic generator (xorshift64*), so failures are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generate(rng: &mut Rng) -> String {
    // sex 1/2 and order 001..999 so that format and key are the only possible differences
    let dept = match rng.below(6) {
        0 => "2A".to_string(),
        1 => "2B".to_string(),
        2 => "20".to_string(),
        _ => format!("{:02}", rng.below(100)),
    };
    let body = format!(
        "{}{:02}{:02}{}{:03}{:03}",
        1 + rng.below(2),
        rng.below(100),
        rng.below(100),
        dept,
        rng.below(1000),
        1 + rng.below(999)
    );
    let right = Matricule::compute_key(&body).unwrap();
    let key = match rng.below(4) {
        0 => u8::try_from(rng.below(100)).unwrap(),
        _ => right,
    };
    let mut s: Vec<u8> = format!("{body}{key:02}").into_bytes();
    if rng.below(10) == 0 {
        // a letter somewhere (only 2A/2B at positions 6-7 are valid)
        let i = usize::try_from(rng.below(15)).unwrap();
        s[i] = b"ABCZ"[usize::try_from(rng.below(4)).unwrap()];
    }
    String::from_utf8(s).unwrap()
}

#[test]
fn verdicts_agree_with_python_stdnum() {
    let mut rng = Rng(0x5EC0_12DA_7A5E_0001);
    let inputs: Vec<String> = (0..5000).map(|_| generate(&mut rng)).collect();
    let script = "import sys\nfrom stdnum.fr import nir\nfor l in sys.stdin:\n    print(1 if nir.is_valid(l.strip()) else 0)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (scripts/install-deps)");
    {
        let mut stdin = child.stdin.take().unwrap();
        for i in &inputs {
            writeln!(stdin, "{i}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python-stdnum missing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(verdicts.len(), inputs.len());
    let mut corsica = 0;
    let mut valid = 0;
    for (input, theirs) in inputs.iter().zip(verdicts) {
        let ours = Matricule::parse_with_key(input).is_ok();
        assert_eq!(ours, theirs, "disagreement on {input}");
        corsica += usize::from(ours && (input.contains("2A") || input.contains("2B")));
        valid += usize::from(ours);
    }
    // the generator must exercise both verdicts and Corsica
    assert!(valid > 1000 && valid < 4900, "valid = {valid}");
    assert!(corsica > 100, "corsica = {corsica}");
}
