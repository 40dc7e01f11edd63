//! Updates as integers modulo 2⁶⁴, so that masks added on the students' devices cancel exactly
//! in the server's sum: fixed point with 24 fractional bits, each number clamped to ±2³⁰
//! (sums of up to 2⁸ students stay far inside the ring).

/// Fractional bits.
pub const SCALE_BITS: u32 = 24;
const LIMIT: f64 = (1_u64 << 30) as f64;

/// `value` in the ring (NaN becomes 0: callers refuse non-finite updates before this).
pub fn encode(value: f64) -> u64 {
    let scaled = (value.clamp(-LIMIT, LIMIT) * f64::from(1_u32 << SCALE_BITS)).round();
    if scaled.is_nan() {
        0
    } else {
        scaled as i64 as u64
    }
}

/// A ring element (a sum of encoded numbers) back to a number.
pub fn decode(word: u64) -> f64 {
    word as i64 as f64 / f64::from(1_u32 << SCALE_BITS)
}

/// Little-endian bytes of words, as they travel.
pub fn to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|word| word.to_le_bytes()).collect()
}

/// Words from little-endian bytes, or `None` when the length is not a whole number of words.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(8)
            .map(|chunk| {
                let mut word = [0_u8; 8];
                word.copy_from_slice(chunk);
                u64::from_le_bytes(word)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_in_the_ring_are_sums_of_numbers() {
        let values = [0.125, -3.75, 1e-6, 1234.5, -0.000_3];
        let sum = values
            .iter()
            .map(|&v| encode(v))
            .fold(0_u64, u64::wrapping_add);
        let expected: f64 = values.iter().sum();
        assert!((decode(sum) - expected).abs() < 1e-6);
        assert_eq!(decode(encode(-2.5)), -2.5);
        assert_eq!(
            from_bytes(&to_bytes(&[1, u64::MAX])),
            Some(vec![1, u64::MAX])
        );
        assert_eq!(from_bytes(&[0; 7]), None);
    }
}
