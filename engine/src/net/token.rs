//! Layers as short words, for links and files people can read: `conv16k3s1p1d1`, `relu`,
//! `max2s2`, `add4`, `fc10`, `softmax`. Every layer has one word and every word one layer.

use super::layer::{Act, Layer};

/// The largest number a word may carry; larger ones are not layers anyone can train, and
/// refusing them keeps arithmetic on a hostile link far from overflow.
const MAX_NUMBER: usize = 1 << 20;

impl Layer {
    /// The layer's word.
    pub fn token(&self) -> String {
        match self {
            Layer::Conv2d {
                filters,
                kernel,
                stride,
                padding,
                dilation,
            } => format!("conv{filters}k{kernel}s{stride}p{padding}d{dilation}"),
            Layer::MaxPool { size, stride } => format!("max{size}s{stride}"),
            Layer::AvgPool { size, stride } => format!("avg{size}s{stride}"),
            Layer::GlobalAvgPool => "gap".into(),
            Layer::Flatten => "flat".into(),
            Layer::Dense { units } => format!("fc{units}"),
            Layer::Dropout { percent } => format!("drop{percent}"),
            Layer::BatchNorm => "bn".into(),
            Layer::LayerNorm => "ln".into(),
            Layer::Activation(act) => act.key().into(),
            Layer::Add { from } => format!("add{from}"),
            Layer::Concat { from } => format!("cat{from}"),
            Layer::Softmax => "softmax".into(),
        }
    }

    /// The layer a word names, or `None` for anything else.
    pub fn from_token(token: &str) -> Option<Layer> {
        let number = |text: &str| {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse::<usize>().ok().filter(|n| *n <= MAX_NUMBER)
        };
        // "16k3s1p1d1" → [16, 3, 1, 1, 1] by the letters between.
        let numbers = |text: &str, letters: &[char]| -> Option<Vec<usize>> {
            let mut values = Vec::with_capacity(letters.len() + 1);
            let mut rest = text;
            for letter in letters {
                let (value, after) = rest.split_once(*letter)?;
                values.push(number(value)?);
                rest = after;
            }
            values.push(number(rest)?);
            Some(values)
        };
        let layer = match token {
            "gap" => Layer::GlobalAvgPool,
            "flat" => Layer::Flatten,
            "bn" => Layer::BatchNorm,
            "ln" => Layer::LayerNorm,
            "softmax" => Layer::Softmax,
            _ => {
                if let Some(act) = Act::from_key(token) {
                    Layer::Activation(act)
                } else if let Some(rest) = token.strip_prefix("conv") {
                    let [filters, kernel, stride, padding, dilation] =
                        numbers(rest, &['k', 's', 'p', 'd'])?[..]
                    else {
                        return None;
                    };
                    Layer::Conv2d {
                        filters,
                        kernel,
                        stride,
                        padding,
                        dilation,
                    }
                } else if let Some(rest) = token.strip_prefix("max") {
                    let [size, stride] = numbers(rest, &['s'])?[..] else {
                        return None;
                    };
                    Layer::MaxPool { size, stride }
                } else if let Some(rest) = token.strip_prefix("avg") {
                    let [size, stride] = numbers(rest, &['s'])?[..] else {
                        return None;
                    };
                    Layer::AvgPool { size, stride }
                } else if let Some(rest) = token.strip_prefix("fc") {
                    Layer::Dense {
                        units: number(rest)?,
                    }
                } else if let Some(rest) = token.strip_prefix("drop") {
                    Layer::Dropout {
                        percent: u8::try_from(number(rest)?).ok().filter(|p| *p <= 100)?,
                    }
                } else if let Some(rest) = token.strip_prefix("add") {
                    Layer::Add {
                        from: number(rest)?,
                    }
                } else if let Some(rest) = token.strip_prefix("cat") {
                    Layer::Concat {
                        from: number(rest)?,
                    }
                } else {
                    return None;
                }
            }
        };
        Some(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_has_one_word_that_reads_back() {
        let mut layers = vec![
            Layer::Conv2d {
                filters: 16,
                kernel: 3,
                stride: 2,
                padding: 1,
                dilation: 1,
            },
            Layer::MaxPool { size: 2, stride: 2 },
            Layer::AvgPool { size: 3, stride: 1 },
            Layer::GlobalAvgPool,
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Dropout { percent: 25 },
            Layer::BatchNorm,
            Layer::LayerNorm,
            Layer::Add { from: 4 },
            Layer::Concat { from: 0 },
            Layer::Softmax,
        ];
        layers.extend(Act::ALL.map(Layer::Activation));
        let words: Vec<String> = layers.iter().map(Layer::token).collect();
        assert_eq!(words[0], "conv16k3s2p1d1");
        let mut unique = words.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), words.len(), "{words:?}");
        for (layer, word) in layers.iter().zip(&words) {
            assert_eq!(Layer::from_token(word).as_ref(), Some(layer), "{word}");
        }
    }

    #[test]
    fn anything_else_is_not_a_layer() {
        for word in [
            "",
            "conv",
            "conv16",
            "conv16k3s1p1",
            "conv16k3s1p1d1x",
            "conv-1k3s1p1d1",
            "fc",
            "fc+5",
            "fc99999999999999999999",
            "fc2000000",
            "drop101",
            "max2",
            "relux",
            "Softmax",
        ] {
            assert_eq!(Layer::from_token(word), None, "{word:?}");
        }
    }
}
