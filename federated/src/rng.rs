//! A seeded stream of random numbers (ChaCha20's keystream): the masks' expansion, Shamir's
//! coefficients and the privacy noise all draw from one, seeded from the operating system's
//! randomness by the caller (the browser's `crypto.getRandomValues`, the server's `getrandom`).

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};

/// ChaCha20's keystream under a 32-byte seed, read as bytes, words and normal deviates.
pub struct Stream {
    cipher: ChaCha20,
    spare: Option<f64>,
}

impl Stream {
    pub fn new(seed: &[u8; 32]) -> Stream {
        Stream {
            cipher: ChaCha20::new(seed.into(), &[0_u8; 12].into()),
            spare: None,
        }
    }

    pub fn fill(&mut self, bytes: &mut [u8]) {
        bytes.fill(0);
        self.cipher.apply_keystream(bytes);
    }

    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0_u8; 32];
        self.fill(&mut out);
        out
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut out = [0_u8; 8];
        self.fill(&mut out);
        u64::from_le_bytes(out)
    }

    /// Uniform in (0, 1]: 53 random bits.
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1_u64 << 53) as f64
    }

    /// A standard normal deviate (Box–Muller; the second of each pair is kept for the next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let radius = (-2.0 * self.unit().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.unit();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

/// `len` words of the keystream under `seed`: the mask a seed stands for.
pub fn mask_words(seed: &[u8; 32], len: usize) -> Vec<u64> {
    let mut bytes = vec![0_u8; len * 8];
    Stream::new(seed).fill(&mut bytes);
    bytes
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0_u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mask_and_another_seed_another() {
        let a = mask_words(&[1; 32], 1000);
        assert_eq!(a, mask_words(&[1; 32], 1000));
        let b = mask_words(&[2; 32], 1000);
        assert_eq!(a.iter().zip(&b).filter(|(x, y)| x == y).count(), 0);
        // A prefix of a longer mask is the shorter mask.
        assert_eq!(&mask_words(&[1; 32], 2000)[..1000], &a[..]);
    }

    #[test]
    fn normal_deviates_have_mean_zero_and_variance_one() {
        let mut stream = Stream::new(&[7; 32]);
        let draws: Vec<f64> = (0..100_000).map(|_| stream.normal()).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }
}
