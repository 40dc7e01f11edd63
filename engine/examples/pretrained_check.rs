//! Holds Agora's EfficientNet-Lite0 to an independent PyTorch forward pass
//! (`scripts/pretrained/reference.py`) and to what photos show. `DIR` is where
//! `scripts/pretrained/setup.sh` put the converted weights and the reference's fixtures.
//!
//!     cargo run -p agora-engine --release --example pretrained_check -- DIR [cpu|wgpu]
//!
//! 1. Fixed inputs (224², 160², an odd 113²): the stem, blocks 1, 6 and 16, the features and the
//!    logits of the F32 weights within 1e-3 of PyTorch's (largest difference over largest value).
//! 2. scikit-image's photos: the F32 weights' ImageNet top-1 is PyTorch's; the cat is a cat, the
//!    coffee an espresso or a cup, the rocket a missile, projectile or space shuttle, the motorcycle a
//!    moped or motor scooter, the camera man's tripod a tripod or a reflex camera.
//! 3. The compact (int8/int4) file the page downloads gives the same top-1 on those photos, and
//!    features within 0.97 cosine of the F32 ones.

use std::path::Path;
use std::process::ExitCode;

use agora_engine::Device;
use agora_engine::compute::{Backbone, input_tensor};
use agora_engine::params::HostTensor;
use agora_engine::pretrained::{PretrainedWeights, normalise};
use agora_engine::safetensors;
use burn::tensor::{Tensor, TensorData};

/// What each photo must be called (ImageNet's names, torchvision's spelling).
const MEANING: [(&str, &[&str]); 5] = [
    ("chelsea.png", &["Egyptian cat", "tabby", "tiger cat"]),
    ("coffee.png", &["espresso", "cup", "coffee mug"]),
    ("rocket.jpg", &["missile", "projectile", "space shuttle"]),
    ("motorcycle_left.png", &["moped", "motor scooter"]),
    ("camera.png", &["tripod", "reflex camera"]),
];

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

fn f32s(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32")
}

fn relative(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len(), "sizes differ");
    let scale = theirs.iter().fold(0.0_f32, |m, v| m.max(v.abs())).max(1e-6);
    ours.iter()
        .zip(theirs)
        .fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

fn top1(logits: &[f32]) -> usize {
    (0..logits.len())
        .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map_or(".", String::as_str));
    let device = match args.get(1).map(String::as_str) {
        Some("wgpu") => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        _ => Device::flex(),
    };
    let f32_weights = PretrainedWeights::read(&read(dir, "efficientnet-lite0.f32.safetensors"))
        .expect("f32 weights");
    let compact = PretrainedWeights::read(&read(dir, "efficientnet-lite0.safetensors"))
        .expect("compact weights");
    let net = Backbone::new(&f32_weights, &device).expect("backbone");
    let small = Backbone::new(&compact, &device).expect("compact backbone");
    let mut failures = 0;

    let fixture = read(dir, "fixture.safetensors");
    let (tensors, _) = safetensors::read(&fixture).expect("fixture");
    let get = |name: &str| {
        let t = tensors
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("fixture lacks {name}"));
        HostTensor {
            shape: t.shape.clone(),
            values: f32s(t.data),
        }
    };
    for case in ["224", "160", "odd"] {
        let input = get(&format!("{case}.input"));
        let x = Tensor::<4>::from_data(
            TensorData::new(input.values.clone(), input.shape.clone()),
            &device,
        );
        let taps = net.taps(x.clone());
        let features = net.features(x);
        let logits = net.imagenet(features.clone());
        let ours: [(&str, Vec<f32>); 6] = [
            ("stem", host(taps[0].clone())),
            ("block0", host(taps[1].clone())),
            ("block5", host(taps[6].clone())),
            ("block15", host(taps[16].clone())),
            ("features", host(features)),
            ("logits", host(logits)),
        ];
        for (tap, values) in ours {
            let err = relative(&values, &get(&format!("{case}.{tap}")).values);
            let ok = err <= 1e-3;
            failures += usize::from(!ok);
            println!(
                "{} {case:>4} {tap:<9} relative difference {err:.2e}",
                if ok { "ok  " } else { "FAIL" }
            );
        }
    }

    let expected: serde_json::Value =
        serde_json::from_slice(&read(dir, "photos.json")).expect("photos.json");
    let photos = read(dir, "photos.safetensors");
    let (pixels, _) = safetensors::read(&photos).expect("photos");
    for p in &pixels {
        let x = input_tensor(normalise(p.data, 224), 1, 224, &device);
        let f = net.features(x.clone());
        let fs = small.features(x);
        let logits = host(net.imagenet(f.clone()));
        let small_logits = host(small.imagenet(fs.clone()));
        let (a, b) = (host(f), host(fs));
        let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let cosine = dot / (norm(&a) * norm(&b));
        let ours = &f32_weights.classes[top1(&logits)];
        let compact_top = &compact.classes[top1(&small_logits)];
        let torch = expected[&p.name]["tf"][0][0].as_str().unwrap_or("?");
        let mut ok = ours == torch && cosine >= 0.97;
        let meaning = MEANING.iter().find(|(name, _)| *name == p.name);
        if let Some((_, names)) = meaning {
            ok &= names.contains(&ours.as_str()) && compact_top == ours;
        }
        failures += usize::from(!ok);
        println!(
            "{} {:<20} ours {ours:<16} PyTorch {torch:<16} compact {compact_top:<16} features cosine {cosine:.4}{}",
            if ok { "ok  " } else { "FAIL" },
            p.name,
            if meaning.is_some() {
                ""
            } else {
                " (not judged for meaning)"
            }
        );
    }
    if failures > 0 {
        println!("pretrained_check: {failures} checks failed");
        return ExitCode::FAILURE;
    }
    println!("pretrained_check: every check passed");
    ExitCode::SUCCESS
}
