//! Digits or your own images, and the input size and augmentation for images.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::project::{Data, Project, ProjectAction};

#[derive(Properties, PartialEq)]
pub struct DataPickerProps {
    pub doc: UseReducerHandle<Project>,
    pub editor: super::super::Editor,
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
                }));
            }
        })
    };
    let current = match doc.data {
        Data::Photos { side, colour } => {
            format!("{side}-{}", if colour { "rgb" } else { "grey" })
        }
        _ => String::new(),
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
                <label class="control inline">{ "Input" }
                    <select onchange={size} data-testid="photo-size">
                        { for Data::PHOTO_SIDES.iter().flat_map(|side| [(*side, true), (*side, false)]).map(|(side, colour)| {
                            let key = format!("{side}-{}", if colour { "rgb" } else { "grey" });
                            html! { <option value={key.clone()} selected={key == current}>{ format!("{side}×{side} {}", if colour { "colour" } else { "grey" }) }</option> }
                        }) }
                    </select>
                </label>
                <span class="picker-label">{ "Augment:" }</span>
                <label class="check"><input type="checkbox" checked={doc.augment.flip} onchange={toggle(|a| &mut a.flip)} data-testid="augment-flip" />{ "flip" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.crop} onchange={toggle(|a| &mut a.crop)} data-testid="augment-crop" />{ "random crop" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.brightness} onchange={toggle(|a| &mut a.brightness)} data-testid="augment-brightness" />{ "brightness" }</label>
            </> }) }
        </section>
    }
}
