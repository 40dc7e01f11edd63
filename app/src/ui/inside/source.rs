//! Which image the layer view follows: a validation image, or one the person gave.

use std::rc::Rc;

use agora_engine::net::ImageSize;

use crate::protocol::Command;

/// Which image the layer view follows.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Source {
    Validation(usize),
    /// A drawing or a file: pixels (channels last) and their size.
    Given(Rc<(Vec<u8>, ImageSize)>),
}

impl Source {
    /// A 64×64 RGB image (a decoded file or a webcam frame).
    pub(super) fn photo(pixels: Vec<u8>) -> Source {
        Source::Given(Rc::new((pixels, agora_engine::photos::STORE_SIZE)))
    }

    pub(super) fn command(&self) -> Command {
        match self {
            Source::Validation(sample) => Command::Inspect { sample: *sample },
            Source::Given(given) => Command::InspectImage {
                pixels: given.0.clone(),
                size: given.1,
            },
        }
    }
}
