//! The lesson on screen: the step's text, its goal and whether it is met, moving between steps,
//! presenter mode for a projector; and the menu that opens a shipped lesson, a lesson file or
//! shares the open one as a link. The state is `lesson::Lessons` (tested natively); setting up
//! a step's project goes through the one [`Editor`].

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::editor::{Editor, write_fragment};
use crate::lesson::{
    BUILTIN, Goal, LESSON_FRAGMENT, LessonAction, Lessons, LessonsAction, MAX_LESSON_BYTES,
    Reading, builtin, read, to_link,
};
use crate::session::Session;

impl Reducible for Lessons {
    type Action = LessonsAction;

    fn reduce(self: Rc<Self>, action: LessonsAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

/// Where this tab keeps its open lesson (sessionStorage: this tab only, gone when it closes).
const REMEMBERED: &str = "agora-lesson";

/// Whether this page was loaded by reloading the tab (not by opening a link in it).
fn reloaded() -> bool {
    let navigation = || -> Option<String> {
        let window: JsValue = web_sys::window()?.into();
        let performance = js_sys::Reflect::get(&window, &"performance".into()).ok()?;
        let entries = js_sys::Reflect::get(&performance, &"getEntriesByType".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?
            .call1(&performance, &"navigation".into())
            .ok()?;
        let first = js_sys::Reflect::get(&entries, &0.into()).ok()?;
        js_sys::Reflect::get(&first, &"type".into())
            .ok()?
            .as_string()
    };
    navigation().as_deref() == Some("reload")
}

/// The lesson this tab had open before it was reloaded, where the person was in it.
pub fn remembered() -> Option<(crate::lesson::Lesson, crate::lesson::Progress)> {
    if !reloaded() {
        return None;
    }
    let storage = web_sys::window()?.session_storage().ok()??;
    let text = storage.get_item(REMEMBERED).ok()??;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let link = value.get("link")?.as_str()?;
    let progress: crate::lesson::Progress =
        serde_json::from_value(value.get("progress")?.clone()).ok()?;
    crate::lesson::from_link(link)
        .ok()
        .map(|lesson| (lesson, progress))
}

/// The link (`#lesson=…`) that opens the lesson: a shipped one by its id, any other whole.
fn share_link(lesson: &crate::lesson::Lesson) -> String {
    let id = BUILTIN
        .iter()
        .find(|(id, _)| builtin(id).as_ref() == Some(lesson))
        .map(|(id, _)| (*id).to_owned());
    let value = id.unwrap_or_else(|| to_link(lesson));
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    format!("{base}{LESSON_FRAGMENT}{value}")
}

#[derive(Properties, PartialEq)]
pub struct LessonMenuProps {
    pub lessons: UseReducerHandle<Lessons>,
}

/// "Lessons": the shipped ones, and a lesson file of one's own.
#[function_component(LessonMenu)]
pub fn lesson_menu(props: &LessonMenuProps) -> Html {
    let menu = use_node_ref();
    let close_menu = {
        let menu = menu.clone();
        move || {
            if let Some(details) = menu.cast::<web_sys::Element>() {
                let _ = details.remove_attribute("open");
            }
        }
    };
    let items = BUILTIN.iter().filter_map(|(id, _)| {
        let lesson = builtin(id)?;
        let lessons = props.lessons.clone();
        let close_menu = close_menu.clone();
        let title = lesson.title.clone();
        let about = lesson.about.clone();
        let onclick = Callback::from(move |_| {
            lessons.dispatch(LessonsAction::Open(lesson.clone()));
            close_menu();
        });
        Some(html! {
            <li><button class="lesson-choice" {onclick} data-testid={format!("lesson-open-{id}")}>
                <strong>{ title }</strong><span>{ about }</span>
            </button></li>
        })
    });
    let on_file = {
        let lessons = props.lessons.clone();
        let close_menu = close_menu.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            let lessons = lessons.clone();
            close_menu();
            let name = file.name();
            if file.size() > MAX_LESSON_BYTES as f64 {
                lessons.dispatch(LessonsAction::Failed(format!(
                    "“{name}” could not be opened as a lesson: the file is {:.0} KB; a lesson file is at most 256 KB.",
                    file.size() / 1024.0
                )));
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                    Err(error) => {
                        lessons.dispatch(LessonsAction::Failed(format!(
                            "“{name}” could not be read ({error:?})."
                        )));
                        return;
                    }
                };
                match read(&bytes) {
                    Ok(lesson) => lessons.dispatch(LessonsAction::Open(lesson)),
                    Err(error) => lessons.dispatch(LessonsAction::Failed(format!(
                        "“{name}” could not be opened as a lesson: {error}."
                    ))),
                }
            });
        })
    };
    html! {
        <details class="lesson-menu" ref={menu} data-testid="lesson-menu">
            <summary data-testid="lessons">{ "Lessons" }</summary>
            <div class="lesson-menu-body">
                <ul>{ for items }</ul>
                <label class="lesson-file">{ "Open a lesson file (.json)… " }
                    <input type="file" accept=".json,application/json" onchange={on_file} data-testid="lesson-file" />
                </label>
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub lessons: UseReducerHandle<Lessons>,
    pub session: UseReducerHandle<Session>,
    pub editor: Editor,
    pub class_names: Rc<Vec<String>>,
}

/// The open lesson's step, or nothing.
#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let lessons = props.lessons.clone();
    // Set up the step's project whenever a step is entered.
    {
        let editor = props.editor.clone();
        let state = lessons.open.clone();
        let lessons_handle = lessons.clone();
        let key = state.as_ref().map(|s| (lessons.opened, s.step, s.entered));
        use_effect_with(key, move |key| {
            if key.is_some()
                && let Some(state) = &state
                && !state.keep_project
            {
                match state.current().project() {
                    Ok(Some(project)) => {
                        editor.open(project);
                        write_fragment(&editor.mirror.borrow());
                    }
                    Ok(None) => {}
                    Err(error) => lessons_handle.dispatch(LessonsAction::Failed(format!(
                        "This step's project could not be set up: {error}."
                    ))),
                }
            }
        });
    }
    // This tab remembers its lesson and step, so a reload comes back to them.
    {
        let remembered = lessons
            .open
            .as_ref()
            .map(|state| (Rc::clone(&state.lesson), state.progress()));
        // Nothing open (the first render): what a reload left stays until the page has read
        // it; closing the lesson forgets it.
        use_effect_with(remembered, |remembered| {
            let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
            if let (Some(storage), Some((lesson, progress))) = (storage, remembered) {
                let value = serde_json::json!({ "link": to_link(lesson), "progress": progress });
                let _ = storage.set_item(REMEMBERED, &value.to_string());
            }
        });
    }
    // Read the run only while a step has a goal (this renders on every training tick).
    let goal = lessons
        .open
        .as_ref()
        .and_then(|state| state.current().goal.as_ref().map(|goal| (state, goal)));
    let reading = goal.map(|_| Reading::of(&props.session, &props.class_names));
    let check = goal
        .zip(reading.as_ref())
        .map(|((state, goal), reading)| goal.check(reading, state.answer()));
    // A goal met now is recorded (and stays met).
    {
        let lessons = lessons.clone();
        let met_now = check.as_ref().is_some_and(|c| c.met);
        let recorded = lessons
            .open
            .as_ref()
            .is_some_and(|s| s.met.get(s.step).copied().unwrap_or(false));
        use_effect_with((met_now, recorded), move |(met_now, recorded)| {
            if *met_now
                && !*recorded
                && let Some(reading) = reading
            {
                lessons.dispatch(LessonsAction::Step(LessonAction::Read(reading)));
            }
        });
    }
    // Presenter mode: the body's class, and the keys between steps.
    {
        let presenting = lessons.open.as_ref().is_some_and(|s| s.presenting);
        let lessons = lessons.clone();
        use_effect_with(presenting, move |presenting| {
            let body = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.body());
            if let Some(body) = &body {
                let _ = body
                    .class_list()
                    .toggle_with_force("presenting", *presenting);
            }
            let listener = presenting.then(|| {
                Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(
                    move |event: web_sys::KeyboardEvent| {
                        let typing = event
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .is_some_and(|el| {
                                matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                            });
                        if typing {
                            return;
                        }
                        let action = match event.key().as_str() {
                            "ArrowRight" | "PageDown" => Some(LessonAction::Next),
                            "ArrowLeft" | "PageUp" => Some(LessonAction::Previous),
                            "Escape" => Some(LessonAction::Present(false)),
                            _ => None,
                        };
                        if let Some(action) = action {
                            event.prevent_default();
                            lessons.dispatch(LessonsAction::Step(action));
                        }
                    },
                )
            });
            let document = web_sys::window().and_then(|w| w.document());
            if let (Some(document), Some(listener)) = (&document, &listener) {
                let _ = document
                    .add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
            move || {
                if let (Some(document), Some(listener)) = (&document, &listener) {
                    let _ = document.remove_event_listener_with_callback(
                        "keydown",
                        listener.as_ref().unchecked_ref(),
                    );
                }
                if let Some(body) = &body {
                    let _ = body.class_list().remove_1("presenting");
                }
            }
        });
    }
    let share = use_state(|| None::<String>);
    let error = lessons.error.clone().map(|message| {
        let lessons = lessons.clone();
        html! {
            <div class="banner error" role="alert" data-testid="lesson-error">
                { message }
                <button class="fix" onclick={Callback::from(move |_| lessons.dispatch(LessonsAction::Dismiss))}>{ "Dismiss" }</button>
            </div>
        }
    });
    let Some(state) = lessons.open.as_ref() else {
        return html! { <>{ for error }</> };
    };
    let step = state.current();
    let dispatch = |action: LessonAction| {
        let lessons = lessons.clone();
        Callback::from(move |_: MouseEvent| lessons.dispatch(LessonsAction::Step(action.clone())))
    };
    let paragraphs = step
        .text
        .split("\n\n")
        .map(|paragraph| html! { <p>{ paragraph.trim() }</p> });
    let dots = (0..state.steps()).map(|index| {
        let current = index == state.step;
        let done = state.met[index];
        html! {
            <button class={classes!("lesson-dot", current.then_some("current"), done.then_some("done"))}
                onclick={dispatch(LessonAction::Go(index))}
                aria-label={format!("Step {}: {}{}", index + 1, state.lesson.steps[index].title, if done { " (goal met)" } else { "" })}
                aria-current={current.then_some("step")} data-testid={format!("lesson-dot-{index}")}>
                { index + 1 }
            </button>
        }
    });
    let met = state.met[state.step];
    let goal_view = step.goal.as_ref().map(|goal| {
        let check = check.clone();
        let choices = goal.choices(&props.class_names).map(|choices| {
            let picked = state.answer();
            let group = if matches!(goal, Goal::MostConfused) { "Which class?" } else { "Your answer" };
            html! {
                <div class={classes!("lesson-choices", matches!(goal, Goal::MostConfused).then_some("compact"))} role="radiogroup" aria-label={group}>
                    { for choices.into_iter().enumerate().map(|(index, choice)| {
                        let lessons = lessons.clone();
                        let onchange = Callback::from(move |_: Event| lessons.dispatch(LessonsAction::Step(LessonAction::Answer(index))));
                        html! {
                            <label class="lesson-choice-option">
                                <input type="radio" name="lesson-answer" checked={picked == Some(index)} {onchange}
                                    data-testid={format!("lesson-answer-{index}")} />
                                { choice }
                            </label>
                        }
                    }) }
                </div>
            }
        });
        let now = check.map(|c| c.now).unwrap_or_default();
        let acknowledged = state.acknowledged[state.step];
        html! {
            <div class={classes!("lesson-goal", met.then_some("met"))} data-testid="lesson-goal" data-met={met.to_string()}>
                <p><strong>{ "Goal: " }</strong>{ goal.describe() }</p>
                { for choices }
                <p class="lesson-now" role="status" aria-live="polite" data-testid="lesson-now">
                    { if met { format!("✓ Goal met — {now}") } else { now } }
                </p>
                if met {
                    <p class="lesson-praise" data-testid="lesson-praise">{ step.praise.clone().unwrap_or_else(|| "Well done.".to_owned()) }</p>
                    if !acknowledged {
                        <button class="primary" onclick={dispatch(LessonAction::Acknowledge)} data-testid="lesson-ack">{ "Got it" }</button>
                    } else {
                        <span class="lesson-acknowledged" data-testid="lesson-acknowledged">{ "✓ Got it" }</span>
                    }
                }
            </div>
        }
    });
    let last = state.step + 1 == state.steps();
    let presenting = state.presenting;
    let on_share = {
        let share = share.clone();
        let lesson = Rc::clone(&state.lesson);
        Callback::from(move |_: MouseEvent| {
            share.set(if share.is_some() {
                None
            } else {
                Some(share_link(&lesson))
            });
        })
    };
    let share_view = (*share).clone().map(|link| {
        html! {
            <label class="lesson-share">{ "Anyone who opens this link gets this lesson: " }
                <input type="text" readonly=true value={link} data-testid="lesson-link"
                    onfocus={Callback::from(|e: FocusEvent| { let input: HtmlInputElement = e.target_unchecked_into(); input.select(); })} />
            </label>
        }
    });
    let close = {
        let lessons = lessons.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(storage) =
                web_sys::window().and_then(|w| w.session_storage().ok().flatten())
            {
                let _ = storage.remove_item(REMEMBERED);
            }
            lessons.dispatch(LessonsAction::Close);
        })
    };
    html! {
        <>
        { for error }
        <section class={classes!("lesson", presenting.then_some("presenting"))} aria-label="Lesson" data-testid="lesson"
            data-step={state.step.to_string()}>
            <div class="lesson-head">
                <span class="lesson-title" data-testid="lesson-title">{ state.lesson.title.clone() }</span>
                <nav class="lesson-dots" aria-label="Steps">{ for dots }</nav>
                <span class="lesson-count">{ format!("Step {} of {}", state.step + 1, state.steps()) }</span>
                <span class="lesson-actions">
                    <button onclick={dispatch(LessonAction::Present(!presenting))} data-testid="lesson-present"
                        aria-pressed={presenting.to_string()} title="Large type for a projector; ← → move between steps, Esc leaves">
                        { if presenting { "Leave presenter mode" } else { "Present" } }</button>
                    <button onclick={on_share} data-testid="lesson-share">{ "Share" }</button>
                    <button onclick={close} data-testid="lesson-close" aria-label="Close the lesson">{ "Close" }</button>
                </span>
            </div>
            { for share_view }
            <h2 class="lesson-step-title" data-testid="lesson-step-title">{ step.title.clone() }</h2>
            <div class="lesson-text">{ for paragraphs }</div>
            { for goal_view }
            <div class="lesson-nav">
                <button onclick={dispatch(LessonAction::Previous)} disabled={state.step == 0} data-testid="lesson-previous">{ "← Previous" }</button>
                if step.project.is_some() {
                    <button onclick={dispatch(LessonAction::Restart)} data-testid="lesson-restart" title="Set this step's network and data up again">{ "Start this step again" }</button>
                }
                if last {
                    <span class="lesson-end" data-testid="lesson-end">{ if state.finished() { "Lesson complete ✓" } else { "Last step" } }</span>
                } else {
                    <button class={classes!(met.then_some("primary"))} onclick={dispatch(LessonAction::Next)} data-testid="lesson-next">{ "Next step →" }</button>
                }
            </div>
        </section>
        </>
    }
}
