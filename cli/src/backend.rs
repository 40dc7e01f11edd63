//! Which native Burn backend trains: the CPU (Burn's Flex), a GPU through wgpu (Vulkan, Metal,
//! DirectX 12), or CUDA (built with `--features cuda`).

use agora_engine::Device;
use burn::tensor::DeviceKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Wgpu,
    Cuda,
}

impl Backend {
    /// # Errors
    /// An unknown name.
    pub fn parse(name: &str) -> Result<Backend, String> {
        match name {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" | "gpu" | "vulkan" | "metal" => Ok(Backend::Wgpu),
            "cuda" => Ok(Backend::Cuda),
            other => Err(format!(
                "unknown backend \"{other}\": choose cpu, wgpu or cuda"
            )),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Backend::Cpu => "CPU (native, Burn's Flex)".to_owned(),
            Backend::Wgpu => "GPU through wgpu (native)".to_owned(),
            Backend::Cuda => "CUDA (native)".to_owned(),
        }
    }

    /// The device to train on.
    ///
    /// # Errors
    /// CUDA asked of a build without it.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            Backend::Wgpu => Ok(Device::wgpu(DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            Backend::Cuda => Ok(Device::cuda(0)),
            #[cfg(not(feature = "cuda"))]
            Backend::Cuda => Err(
                "this agora was built without CUDA: cargo install --path cli --features cuda"
                    .to_owned(),
            ),
        }
    }
}
