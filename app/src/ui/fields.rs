//! Form fields shared by the views.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub value: AttrValue,
    pub onchange: Callback<Event>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    #[prop_or_default]
    pub step: Option<AttrValue>,
    #[prop_or_default]
    pub label: Option<AttrValue>,
}

/// A number input that keeps what is being typed across re-renders (training progress
/// re-renders the lab many times a second) and commits on change. A value the page rejects
/// snaps back to the current one.
#[function_component(NumberField)]
pub fn number_field(props: &NumberFieldProps) -> Html {
    let text = use_state(|| props.value.clone());
    {
        let text = text.clone();
        use_effect_with(props.value.clone(), move |value| text.set(value.clone()));
    }
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            text.set(input.value().into());
        })
    };
    let onchange = {
        let text = text.clone();
        let value = props.value.clone();
        let forward = props.onchange.clone();
        Callback::from(move |event: Event| {
            forward.emit(event);
            // Shown until the page's new value arrives (or kept, if it refused this one).
            text.set(value.clone());
        })
    };
    html! {
        <input type="number" value={(*text).clone()} {oninput} {onchange} disabled={props.disabled}
            placeholder={props.placeholder.clone()} min={props.min.clone()} max={props.max.clone()}
            step={props.step.clone()} data-testid={props.testid.clone()}
            aria-label={props.label.clone()} />
    }
}
