//! Digits or your own images; for images, the pretrained network or none, the input size and
//! augmentation; and where the pretrained network's download and features stand.

use agora_engine::pretrained::INPUT_SIZES;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::project::{Data, Project, ProjectAction};
use crate::protocol::PretrainedStatus;
use crate::session::Session;

#[derive(Properties, PartialEq)]
pub struct DataPickerProps {
    pub doc: UseReducerHandle<Project>,
    pub editor: super::super::Editor,
    pub session: UseReducerHandle<Session>,
}

/// Megabytes with two decimals.
fn mb(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1e6;
    format!("{mb:.2} MB")
}

/// The pretrained network's download and features, as a person reads them.
fn pretrained_status(session: &Session) -> Html {
    let weights = match &session.pretrained {
        None => {
            html! { <p class="pretrained-status" data-testid="pretrained-status">{ "The pretrained network (EfficientNet-Lite0, under 4 MB) downloads from this site when you train or try an image; it stays in this browser for next time." }</p> }
        }
        Some(PretrainedStatus::Loading { loaded, total }) => html! {
            <p class="pretrained-status" data-testid="pretrained-status">
                <progress data-testid="pretrained-progress" aria-label="Downloading the pretrained network" value={loaded.to_string()} max={total.unwrap_or(4_000_000).to_string()}></progress>
                { format!(" Downloading the pretrained network: {} of {}", mb(*loaded), total.map_or_else(|| "about 4 MB".to_owned(), mb)) }
            </p>
        },
        Some(PretrainedStatus::Ready { bytes, cached }) => html! {
            <p class="pretrained-status" data-testid="pretrained-status">{ format!(
                "EfficientNet-Lite0, pretrained on ImageNet by Google: {} {}.",
                mb(*bytes),
                if *cached { "read from this browser's cache (nothing downloaded)" } else { "downloaded from this site and kept in this browser" }
            ) }</p>
        },
        Some(PretrainedStatus::Failed(message)) => html! {
            <p class="pretrained-status problem" role="alert" data-testid="pretrained-status">{ message.clone() }</p>
        },
        Some(_) => html! {},
    };
    let features = match &session.features {
        Some(PretrainedStatus::Embedding { done, total }) => html! {
            <p class="pretrained-status" data-testid="features-status">
                <progress aria-label="Computing the images' features" value={done.to_string()} max={total.to_string()}></progress>
                { format!(" Computing what the pretrained network sees in your images: {done} of {total}") }
            </p>
        },
        Some(PretrainedStatus::Embedded { computed, kept, ms }) => html! {
            <p class="pretrained-status" data-testid="features-status">{ format!(
                "Features of {} images ready: {computed} computed now{}, {kept} kept from before.",
                computed + kept,
                if *computed > 0 { format!(" in {:.1} s", ms / 1000.0) } else { String::new() }
            ) }</p>
        },
        _ => html! {},
    };
    html! { <>{ weights }{ features }</> }
}

/// Digits or your own images, and the input size and augmentation for images.
#[function_component(DataPicker)]
pub fn data_picker(props: &DataPickerProps) -> Html {
    let doc = &*props.doc;
    let choose = |data: Data| {
        let editor = props.editor.clone();
        Callback::from(move |_| editor.edit(ProjectAction::SetData(data.clone())))
    };
    let photos = doc.data.is_photos();
    let size = {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let (side, colour) = value.split_once('-').unwrap_or(("32", "rgb"));
            if let Ok(side) = side.parse() {
                editor.edit(ProjectAction::SetData(Data::Photos {
                    side,
                    colour: colour == "rgb",
                    pretrained: editor.mirror.borrow().data.is_pretrained(),
                }));
            }
        })
    };
    let pretrained = doc.data.is_pretrained();
    let current = match doc.data {
        Data::Photos { side, colour, .. } => {
            format!("{side}-{}", if colour { "rgb" } else { "grey" })
        }
        _ => String::new(),
    };
    let options: Html = if pretrained {
        INPUT_SIZES
            .iter()
            .map(|side| {
                let key = format!("{side}-rgb");
                let note = match side {
                    224 => " (its own size, most accurate)",
                    128 => " (fastest)",
                    _ => "",
                };
                html! { <option value={key.clone()} selected={key == current}>{ format!("{side}×{side} colour{note}") }</option> }
            })
            .collect()
    } else {
        Data::PHOTO_SIDES
            .iter()
            .flat_map(|side| [(*side, true), (*side, false)])
            .map(|(side, colour)| {
                let key = format!("{side}-{}", if colour { "rgb" } else { "grey" });
                html! { <option value={key.clone()} selected={key == current}>{ format!("{side}×{side} {}", if colour { "colour" } else { "grey" }) }</option> }
            })
            .collect()
    };
    let toggle = |pick: fn(&mut agora_engine::photos::Augment) -> &mut bool| {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            let mut augment = editor.mirror.borrow().augment;
            *pick(&mut augment) = on;
            editor.edit(ProjectAction::SetAugment(augment));
        })
    };
    html! {
        <section class="panel data-picker" aria-label="Data">
            <span class="picker-label">{ "Train on" }</span>
            <div class="segmented" role="group">
                <button class={classes!((!photos).then_some("active"))} aria-pressed={(!photos).to_string()}
                    onclick={choose(Data::Digits)} data-testid="data-digits">{ "Handwritten digits" }</button>
                <button class={classes!(photos.then_some("active"))} aria-pressed={photos.to_string()}
                    onclick={choose(if photos { doc.data.clone() } else { Data::PHOTOS })} data-testid="data-photos">{ "Your own images" }</button>
            </div>
            { for photos.then(|| html! { <>
                <div class="segmented" role="group" aria-label="Start from">
                    <button class={classes!(pretrained.then_some("active"))} aria-pressed={pretrained.to_string()}
                        title="A network Google trained on ImageNet's 1.3 million photos sees your images; only a small head learns your classes. A handful of photos per class is enough."
                        onclick={choose(if pretrained { doc.data.clone() } else { Data::PRETRAINED })} data-testid="model-pretrained">{ "Pretrained (few photos)" }</button>
                    <button class={classes!((!pretrained).then_some("active"))} aria-pressed={(!pretrained).to_string()}
                        title="Every layer learns from your images alone: needs many images, and you design the whole network."
                        onclick={choose(if pretrained { Data::PHOTOS } else { doc.data.clone() })} data-testid="model-scratch">{ "From scratch" }</button>
                </div>
                <label class="control inline">{ "Input" }
                    <select onchange={size} data-testid="photo-size">
                        { options }
                    </select>
                </label>
                { for pretrained.then(|| pretrained_status(&props.session)) }
                { for (!pretrained).then(|| html! { <>
                <span class="picker-label">{ "Augment:" }</span>
                <label class="check"><input type="checkbox" checked={doc.augment.flip} onchange={toggle(|a| &mut a.flip)} data-testid="augment-flip" />{ "flip" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.crop} onchange={toggle(|a| &mut a.crop)} data-testid="augment-crop" />{ "random crop" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.brightness} onchange={toggle(|a| &mut a.brightness)} data-testid="augment-brightness" />{ "brightness" }</label>
                </> }) }
            </> }) }
        </section>
    }
}
