//! Export model: the network on screen as ONNX, safetensors and PyTorch code (and, ticked,
//! its data), made in the worker from what is on this device and offered as one zip download.
//! Nothing is sent anywhere.

use yew::prelude::*;

use super::Editor;
use super::offer::offer_bytes;
use crate::session::{Notice, SessionAction};

/// The worker's export arrived: offer it, or say why there is none.
pub fn on_exported(editor: &Editor, exported: Result<(Vec<u8>, String), String>) {
    let notice = match exported {
        Ok((bytes, name)) => {
            offer_bytes(&bytes, &name, "application/zip");
            #[allow(clippy::cast_precision_loss)] // a size to read
            let size = bytes.len() as f64 / f64::from(1 << 20);
            Notice {
                text: format!(
                    "Exported {name} ({size:.1} MB): model.onnx, model.safetensors, model.py, predict.py and train.py — its README says how to use them."
                ),
                problem: false,
            }
        }
        Err(why) => Notice {
            text: format!("Nothing was exported: {why}"),
            problem: true,
        },
    };
    editor
        .sessions
        .dispatch(SessionAction::Notice(Some(notice)));
}

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub editor: Editor,
}

/// The Export model button and its "with the data" choice.
#[function_component(ExportButton)]
pub fn export_button(props: &ExportProps) -> Html {
    let with_data = use_state(|| true);
    let export = {
        let editor = props.editor.clone();
        let with_data = *with_data;
        Callback::from(move |_: MouseEvent| {
            if editor.ready.get() {
                editor.sessions.dispatch(SessionAction::Working(
                    "Exporting the model (ONNX, safetensors, PyTorch)…".to_owned(),
                ));
            }
            editor.export(with_data);
        })
    };
    let on_data = {
        let with_data = with_data.clone();
        Callback::from(move |event: Event| {
            with_data.set(
                event
                    .target_unchecked_into::<web_sys::HtmlInputElement>()
                    .checked(),
            );
        })
    };
    html! {
        <>
            <button class="project-button" onclick={export} data-testid="export-model"
                title="Download the trained network as ONNX, safetensors and PyTorch code (model.py, predict.py, train.py), made here: nothing is uploaded">
                { "Export model" }
            </button>
            <label class="project-include" title="Put the training and validation data in the export, for train.py">
                <input type="checkbox" checked={*with_data} onchange={on_data} data-testid="export-data" />
                { "with the data" }
            </label>
        </>
    }
}
