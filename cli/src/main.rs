//! `agora`: Agora's command line, on the engine the page trains with.
//!
//! ```text
//! agora train PROJECT.agora [--epochs N] [--backend cpu|wgpu|cuda] [--out FILE]
//! agora export PROJECT.agora [--out FILE.zip] [--onnx] [--no-data]
//! agora predict PROJECT.agora FILE...
//! ```

mod backend;
mod clock;
mod data;
mod export;
mod predict;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use backend::Backend;
use export::ExportOptions;
use train::TrainOptions;

const USAGE: &str = "\
agora — train, export and use Agora projects beyond the browser

  agora train PROJECT.agora [--epochs N] [--backend cpu|wgpu|cuda] [--out FILE]
      Goes on training a project saved in the page (Save project), from its weights and
      epoch, and writes it back (or to --out) so the page opens it with Open project.
      --epochs: how many more epochs (default: up to the recipe's epochs).
  agora export PROJECT.agora [--out FILE] [--onnx] [--no-data]
      The trained network as the page's Export: a zip of model.onnx, model.safetensors,
      model.py, predict.py, train.py and the data; --onnx writes the ONNX model alone.
  agora predict PROJECT.agora FILE...
      Classifies image files (or CSV rows of points) with the trained network.
";

/// The command line after the command's name.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

const TAKES_VALUE: [&str; 3] = ["--epochs", "--backend", "--out"];

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        positional: Vec::new(),
        options: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some((name, value)) = arg.split_once('=').filter(|_| arg.starts_with("--")) {
            parsed
                .options
                .push((name.to_owned(), Some(value.to_owned())));
        } else if TAKES_VALUE.contains(&arg.as_str()) {
            let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
            parsed.options.push((arg.clone(), Some(value.clone())));
        } else if arg.starts_with("--") {
            parsed.options.push((arg.clone(), None));
        } else {
            parsed.positional.push(arg.clone());
        }
    }
    Ok(parsed)
}

impl Args {
    fn value(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(option, _)| option == name)
            .and_then(|(_, value)| value.as_deref())
    }

    fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(option, _)| option == name)
    }

    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self
            .options
            .iter()
            .find(|(name, _)| !allowed.contains(&name.as_str()))
        {
            Some((name, _)) => Err(format!("unknown option {name}")),
            None => Ok(()),
        }
    }

    fn at_most(&self, count: usize) -> Result<(), String> {
        match self.positional.get(count) {
            Some(extra) => Err(format!("unexpected \"{extra}\": name one project file")),
            None => Ok(()),
        }
    }

    fn project(&self) -> Result<PathBuf, String> {
        self.positional
            .first()
            .map(PathBuf::from)
            .ok_or_else(|| "name the project file (PROJECT.agora)".to_owned())
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(USAGE.to_owned());
    };
    let parsed = parse(rest)?;
    match command.as_str() {
        "train" => {
            parsed.only(&["--epochs", "--backend", "--out"])?;
            parsed.at_most(1)?;
            let project = parsed.project()?;
            let epochs = parsed
                .value("--epochs")
                .map(|text| {
                    text.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--epochs {text}: give a whole number above 0"))
                })
                .transpose()?;
            let backend = Backend::parse(parsed.value("--backend").unwrap_or("cpu"))?;
            let out = parsed
                .value("--out")
                .map_or_else(|| project.clone(), PathBuf::from);
            train::train(&project, &out, &TrainOptions { epochs, backend })
        }
        "export" => {
            parsed.only(&["--out", "--onnx", "--no-data"])?;
            parsed.at_most(1)?;
            let project = parsed.project()?;
            let onnx_only = parsed.flag("--onnx");
            let stem = project.file_stem().map_or_else(
                || "agora".into(),
                |stem| stem.to_string_lossy().into_owned(),
            );
            let default = if onnx_only {
                format!("{stem}.onnx")
            } else {
                format!("{stem}-export.zip")
            };
            let out = PathBuf::from(parsed.value("--out").unwrap_or(&default));
            export::export(
                &project,
                &out,
                &ExportOptions {
                    onnx_only,
                    no_data: parsed.flag("--no-data"),
                },
            )
        }
        "predict" => {
            parsed.only(&[])?;
            let project = parsed.project()?;
            let files = &parsed.positional[1..];
            if files.is_empty() {
                return Err("name the image (or CSV) files to classify".into());
            }
            predict::predict(&project, files)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "--version" | "-V" => {
            println!("agora {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        other => Err(format!("unknown command \"{other}\"\n\n{USAGE}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("agora: {message}");
            ExitCode::FAILURE
        }
    }
}
