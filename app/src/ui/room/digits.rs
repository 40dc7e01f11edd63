//! Which of the built-in digits a person holds in a room (the teacher's test digits when
//! opening one, a student's own when joining).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DigitProps {
    pub digits: Vec<u8>,
    pub on_change: Callback<Vec<u8>>,
}

/// Which digits this device holds (the built-in set, shared out as a class would).
#[function_component(DigitPicker)]
pub fn digit_picker(props: &DigitProps) -> Html {
    html! {
        <fieldset class="room-digits">
            <legend>{ "The digits you hold (of the built-in set)" }</legend>
            { for (0..10_u8).map(|digit| {
                let checked = props.digits.contains(&digit);
                let on_change = props.on_change.clone();
                let current = props.digits.clone();
                let toggle = Callback::from(move |_: Event| {
                    let mut next: Vec<u8> = current.iter().copied().filter(|d| *d != digit).collect();
                    if !checked {
                        next.push(digit);
                        next.sort_unstable();
                    }
                    on_change.emit(next);
                });
                html! {
                    <label class="room-digit">
                        <input type="checkbox" checked={checked} onchange={toggle} data-testid={format!("room-digit-{digit}")} />
                        { digit.to_string() }
                    </label>
                }
            }) }
        </fieldset>
    }
}
