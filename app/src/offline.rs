//! Whether this browser keeps Agora for use without a network, as `static/agora-offline.js`
//! reports it (the service worker `static/sw.js` does the keeping), and what the page says.

/// Where keeping the page for offline use stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offline {
    /// The service worker is being registered.
    Starting,
    /// This version is stored: the page opens and trains with no network.
    Kept,
    /// A newer version has been downloaded and waits for the person to reload.
    UpdateReady,
    /// This browser cannot keep it, and why.
    Unavailable(String),
}

impl Offline {
    /// Reads the state string of `agoraOffline.watch`; anything unknown is "unavailable" with
    /// the string as its reason, so nothing is silently dropped.
    pub fn parse(state: &str) -> Self {
        match state {
            "starting" => Self::Starting,
            "kept" => Self::Kept,
            "update" => Self::UpdateReady,
            other => Self::Unavailable(
                other
                    .strip_prefix("unavailable: ")
                    .unwrap_or(other)
                    .to_owned(),
            ),
        }
    }

    /// The footer's line.
    pub fn note(&self) -> String {
        match self {
            Self::Starting => "Keeping Agora in this browser for offline use…".to_owned(),
            Self::Kept | Self::UpdateReady => {
                "Kept in this browser: Agora opens and trains without a network.".to_owned()
            }
            Self::Unavailable(reason) => {
                format!("Agora could not be kept for offline use: {reason}. It works while online.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_and_unknown_ones_keep_their_words() {
        assert_eq!(Offline::parse("starting"), Offline::Starting);
        assert_eq!(Offline::parse("kept"), Offline::Kept);
        assert_eq!(Offline::parse("update"), Offline::UpdateReady);
        assert_eq!(
            Offline::parse("unavailable: storage refused"),
            Offline::Unavailable("storage refused".to_owned())
        );
        assert_eq!(
            Offline::parse("something new"),
            Offline::Unavailable("something new".to_owned())
        );
        assert!(
            Offline::parse("unavailable: storage refused")
                .note()
                .contains("storage refused")
        );
        assert!(Offline::Kept.note().contains("without a network"));
    }
}
