//! Which device trains: the person's choice ([`BackendChoice`]) and the backend that really
//! ran ([`BackendKind`]). A leaf: the wire protocol and every state module import it.

use serde::{Deserialize, Serialize};

/// Which device trains the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BackendChoice {
    /// Measure both after a short warm-up and keep the faster.
    Auto,
    Cpu,
    WebGpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [
        BackendChoice::Auto,
        BackendChoice::WebGpu,
        BackendChoice::Cpu,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BackendChoice::Auto => "Auto (fastest)",
            BackendChoice::Cpu => "CPU",
            BackendChoice::WebGpu => "WebGPU",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cpu => "cpu",
            BackendChoice::WebGpu => "webgpu",
        }
    }

    pub fn from_key(key: &str) -> Option<BackendChoice> {
        BackendChoice::ALL
            .into_iter()
            .find(|choice| choice.key() == key)
    }
}

/// A backend that really ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendKind {
    Cpu,
    WebGpu,
}

impl BackendKind {
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::Cpu => "CPU (wasm)",
            BackendKind::WebGpu => "WebGPU",
        }
    }
}
