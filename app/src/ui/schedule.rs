//! How a recipe goes on over training, shared by both views: the learning-rate schedule
//! (constant, step decay, cosine) with its numbers, warm-up, how many epochs (or, in the
//! playground, until paused), gradient clipping, weight decay and Nesterov momentum.

use std::rc::Rc;

use agora_engine::recipe::{Optimizer, Recipe, Schedule};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::Editor;
use super::fields::NumberField;
use crate::project::ProjectAction;

/// Epochs a schedule that needs an end gets in a project that trains until paused.
const EPOCHS_FOR_A_SCHEDULE: usize = 200;

#[derive(Properties, PartialEq)]
pub struct ScheduleFieldsProps {
    pub recipe: Recipe,
    pub editor: Editor,
    /// Prefix of the fields' test ids (`lab-`, `playground-`).
    pub prefix: AttrValue,
    /// Whether an empty epoch count (training until paused) is allowed.
    #[prop_or_default]
    pub until_paused: bool,
}

type Change = Rc<dyn Fn(Recipe, &Event) -> Option<Recipe>>;

fn number<T: std::str::FromStr>(event: &Event) -> Option<T> {
    let input: HtmlInputElement = event.target_unchecked_into();
    input.value().trim().parse().ok()
}

/// The schedule chosen in a select, with numbers that suit `recipe`'s length.
fn schedule_for(key: &str, recipe: Recipe) -> Recipe {
    let endless = recipe.epochs == usize::MAX;
    match key {
        "step" => Recipe {
            schedule: Schedule::Step {
                every: if endless {
                    50
                } else {
                    (recipe.epochs / 3).max(1)
                },
                gamma: 0.1,
            },
            ..recipe
        },
        "cos" => Recipe {
            schedule: Schedule::Cosine,
            // A cosine decays to zero at the last epoch: it needs one.
            epochs: if endless {
                EPOCHS_FOR_A_SCHEDULE
            } else {
                recipe.epochs
            },
            ..recipe
        },
        _ => Recipe {
            schedule: Schedule::Constant,
            ..recipe
        },
    }
}

#[function_component(ScheduleFields)]
pub fn schedule_fields(props: &ScheduleFieldsProps) -> Html {
    let recipe = props.recipe;
    let prefix = props.prefix.clone();
    let id = move |name: &str| AttrValue::from(format!("{prefix}{name}"));
    let change = |change: Change| {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let current = editor.mirror.borrow().recipe;
            if let Some(recipe) = change(current, &event) {
                editor.edit(ProjectAction::SetRecipe(recipe));
            }
        })
    };
    let until_paused = props.until_paused;
    let epochs_text = if recipe.epochs == usize::MAX {
        String::new()
    } else {
        recipe.epochs.to_string()
    };
    let step = match recipe.schedule {
        Schedule::Step { every, gamma } => Some((every, gamma)),
        _ => None,
    };
    html! {
        <>
            <label class="control">{ "Schedule" }
                <select data-testid={id("schedule")} onchange={change(Rc::new(|r, e| {
                    let select: HtmlSelectElement = e.target_unchecked_into();
                    Some(schedule_for(&select.value(), r))
                }))}>
                    { for [("const", "Constant"), ("step", "Step decay"), ("cos", "Cosine")].iter().map(|(key, label)| html! {
                        <option value={*key} selected={*key == recipe.schedule.key()}>{ *label }</option>
                    }) }
                </select>
            </label>
            if let Some((every, gamma)) = step {
                <label class="control">{ "Every (epochs)" }
                    <NumberField min="1" testid={id("step-every")} value={every.to_string()}
                        onchange={change(Rc::new(|r, e| number::<usize>(e).filter(|n| *n >= 1).map(|every| match r.schedule {
                            Schedule::Step { gamma, .. } => Recipe { schedule: Schedule::Step { every, gamma }, ..r },
                            _ => r,
                        })))} />
                </label>
                <label class="control">{ "Multiply by" }
                    <NumberField step="any" testid={id("step-gamma")} value={gamma.to_string()}
                        onchange={change(Rc::new(|r, e| number::<f64>(e).filter(|g| g.is_finite() && *g > 0.0).map(|gamma| match r.schedule {
                            Schedule::Step { every, .. } => Recipe { schedule: Schedule::Step { every, gamma }, ..r },
                            _ => r,
                        })))} />
                </label>
            }
            <label class="control">{ "Warm-up epochs" }
                <NumberField min="0" testid={id("warmup")} value={recipe.warmup_epochs.to_string()}
                    onchange={change(Rc::new(|r, e| number::<usize>(e).map(|warmup_epochs| Recipe { warmup_epochs, ..r })))} />
            </label>
            <label class="control">{ "Epochs" }
                <NumberField min="1" testid={id("epochs")} value={epochs_text}
                    placeholder={until_paused.then_some(AttrValue::from("until paused"))}
                    onchange={change(Rc::new(move |r, e| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        let text = input.value();
                        if text.trim().is_empty() && until_paused && r.schedule != Schedule::Cosine {
                            return Some(Recipe { epochs: usize::MAX, ..r });
                        }
                        text.trim().parse::<usize>().ok().filter(|n| *n >= 1).map(|epochs| Recipe { epochs, ..r })
                    }))} />
            </label>
            <label class="control">{ "Clip gradient norm" }
                <NumberField step="any" placeholder="off" testid={id("clip")} value={recipe.clip_norm.map(|n| n.to_string()).unwrap_or_default()}
                    onchange={change(Rc::new(|r, e| { let input: HtmlInputElement = e.target_unchecked_into(); let text = input.value(); Some(Recipe { clip_norm: text.trim().parse().ok(), ..r }) }))} />
            </label>
            <label class="control">{ "Weight decay" }
                <NumberField step="any" testid={id("weight-decay")} value={recipe.weight_decay.to_string()}
                    onchange={change(Rc::new(|r, e| number::<f64>(e).map(|weight_decay| Recipe { weight_decay, ..r })))} />
            </label>
            <label class="control check">
                <input type="checkbox" checked={recipe.nesterov} disabled={recipe.optimizer != Optimizer::Sgd}
                    onchange={change(Rc::new(|r, e| { let input: HtmlInputElement = e.target_unchecked_into(); Some(Recipe { nesterov: input.checked(), ..r }) }))} />
                { "Nesterov" }
            </label>
        </>
    }
}
