//! A part of the page a lesson step can hide or lock (`lesson::Part`). The open step is
//! provided as a context; each part wraps its controls in [`PartOf`], which hides them or
//! makes them inert (no pointer, no keyboard focus) and says why.

use std::rc::Rc;

use yew::prelude::*;

use crate::lesson::{Part, Step};

/// The step whose parts are shown or locked; none outside a lesson.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts(pub Option<Rc<Step>>);

#[derive(Properties, PartialEq)]
pub struct PartProps {
    pub part: Part,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(PartOf)]
pub fn part_of(props: &PartProps) -> Html {
    let parts = use_context::<Parts>().unwrap_or_default();
    let (hidden, locked) = parts.0.as_ref().map_or((false, false), |step| {
        (step.hides(props.part), step.locks(props.part))
    });
    html! {
        <div class="part" data-part={props.part.key()} {hidden}
            inert={locked} data-locked={locked.then_some("true")}
            title={locked.then_some("Locked by this lesson step")}>
            { props.children.clone() }
        </div>
    }
}
