//! Protocol Buffers' wire format, as far as writing an ONNX model needs: varints, 32-bit
//! floats and length-delimited fields (strings, bytes, nested messages, packed repeats).
//! <https://protobuf.dev/programming-guides/encoding/>

/// A message being written, field by field.
#[derive(Default)]
pub struct Message {
    bytes: Vec<u8>,
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        #[allow(clippy::cast_possible_truncation)] // the low seven bits
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(value as u8);
}

impl Message {
    pub fn new() -> Message {
        Message::default()
    }

    fn key(&mut self, field: u32, wire: u8) {
        varint(&mut self.bytes, (u64::from(field) << 3) | u64::from(wire));
    }

    /// An `int64` / `int32` / enum field (negative values as ten-byte two's complement).
    pub fn int(&mut self, field: u32, value: i64) -> &mut Message {
        self.key(field, 0);
        #[allow(clippy::cast_sign_loss)] // protobuf's encoding of negative integers
        varint(&mut self.bytes, value as u64);
        self
    }

    /// A `float` field.
    pub fn float(&mut self, field: u32, value: f32) -> &mut Message {
        self.key(field, 5);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A `bytes` field (or a nested message's bytes).
    pub fn bytes(&mut self, field: u32, value: &[u8]) -> &mut Message {
        self.key(field, 2);
        varint(&mut self.bytes, value.len() as u64);
        self.bytes.extend_from_slice(value);
        self
    }

    /// A `string` field.
    pub fn string(&mut self, field: u32, value: &str) -> &mut Message {
        self.bytes(field, value.as_bytes())
    }

    /// A nested message.
    pub fn message(&mut self, field: u32, value: &Message) -> &mut Message {
        self.bytes(field, &value.bytes)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_encoded_as_protobufs_reference_examples() {
        // From the encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing".
        let mut message = Message::new();
        message.int(1, 150).string(2, "testing");
        assert_eq!(
            message.into_bytes(),
            [
                0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g'
            ]
        );
        let mut negative = Message::new();
        negative.int(1, -1);
        assert_eq!(negative.into_bytes().len(), 11);
    }
}
