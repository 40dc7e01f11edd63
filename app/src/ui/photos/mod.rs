//! "Your own images": class buckets filled by file picker, drop (files and folders), paste and
//! webcam; the privacy panel with storage used and "Delete all my data"; and "Try it", which
//! classifies a webcam frame or a dropped image with the model being trained.
//!
//! Files are checked by [`agora_engine::photos::sniff`], decoded by the browser
//! (`agora-media.js`), stored in IndexedDB (`agora-store.js`) and shown from the
//! [`Album`] store. Nothing leaves the device.

mod archive;
mod bridge;
mod classes;
mod picker;
mod privacy;
mod store;
mod try_it;

use std::rc::Rc;

use yew::prelude::*;

use crate::photos::{Album, AlbumAction};

pub(in crate::ui) use archive::{read_album, write_album};
pub(in crate::ui) use bridge::{decode_checked, media_grab, media_start_camera, media_stop_camera};
pub use classes::PhotoPanel;
pub use picker::DataPicker;
pub use privacy::PrivacyPanel;
pub use store::load_project;
pub use try_it::TryIt;

impl Reducible for Album {
    type Action = AlbumAction;

    fn reduce(self: Rc<Self>, action: AlbumAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}
