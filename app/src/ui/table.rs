//! Your own table of numbers in the playground: a CSV file chosen or dropped, read in this tab
//! (never uploaded), with the label column, what it is (classes or a number) and the feature
//! columns to pick. Every problem with the file is said with its line and what to do, and
//! changes nothing already set up.

use std::rc::Rc;

use agora_engine::table::{MAX_TABLE_BYTES, Table, TableChoice, TableError, TableTask, prepare};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::Editor;
use super::chosen::{file_bytes, file_name, file_size, files_from_drop, files_from_list};
use crate::project::{Data, Project, ProjectAction, TableSetup};

/// A table open in this tab, compared by identity (a table can be large).
#[derive(Clone, Debug)]
pub struct LoadedTable(pub Rc<Table>);

impl PartialEq for LoadedTable {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for LoadedTable {
    type Target = Table;
    fn deref(&self) -> &Table {
        &self.0
    }
}

/// The project's table setup for `choice` on `table`, checked by preparing it once.
///
/// # Errors
/// What is wrong with the chosen columns (which line, which column).
pub fn setup_for(
    name: &str,
    table: &Table,
    choice: TableChoice,
    project: &Project,
) -> Result<TableSetup, TableError> {
    let data = prepare(
        table,
        &choice,
        u32::from(project.train_percent),
        project.seed,
    )?;
    Ok(TableSetup {
        name: crate::project::table_name(name),
        classes: data.class_names.len(),
        choice,
    })
}

/// Reads a file into a table, refusing a huge one before reading it.
async fn read(file: JsValue) -> Result<(String, Table), String> {
    let name = file_name(&file);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // sizes are whole bytes
    let size = file_size(&file).max(0.0) as usize;
    if size > MAX_TABLE_BYTES {
        return Err(format!(
            "{name}: {}",
            TableError::TooBig {
                megabytes: size.div_ceil(1 << 20),
                max: MAX_TABLE_BYTES >> 20,
            }
        ));
    }
    let bytes = file_bytes(&file)
        .await
        .map_err(|_| format!("{name}: the browser could not read this file."))?;
    let bytes = bytes
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .unwrap_or_default();
    Table::parse(&bytes)
        .map(|table| (name.clone(), table))
        .map_err(|error| format!("{name}: {error}"))
}

#[derive(Properties, PartialEq)]
pub struct TablePanelProps {
    pub project: UseReducerHandle<Project>,
    pub editor: Editor,
    pub table: Option<LoadedTable>,
    pub on_table: Callback<Option<LoadedTable>>,
}

/// Choose or drop a CSV file; pick the label and the features.
#[function_component(TablePanel)]
pub fn table_panel(props: &TablePanelProps) -> Html {
    let message = use_state(|| None::<String>);
    let over = use_state(|| false);
    let open = {
        let editor = props.editor.clone();
        let on_table = props.on_table.clone();
        let message = message.clone();
        let project = props.project.clone();
        move |file: JsValue| {
            let editor = editor.clone();
            let on_table = on_table.clone();
            let message = message.clone();
            let project = (*project).clone();
            wasm_bindgen_futures::spawn_local(async move {
                match read(file).await {
                    Err(error) => message.set(Some(error)),
                    Ok((name, table)) => {
                        let choice = table.suggest();
                        match setup_for(&name, &table, choice, &project) {
                            Ok(setup) => {
                                message.set(None);
                                let loaded = LoadedTable(Rc::new(table));
                                on_table.emit(Some(loaded));
                                editor.edit(ProjectAction::SetData(Data::Table(setup)));
                            }
                            // The file reads, but its columns do not train: say why, and keep
                            // the table that was open (nothing is lost).
                            Err(error) => message.set(Some(format!("{name}: {error}"))),
                        }
                    }
                }
            });
        }
    };
    let on_file = {
        let open = open.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let files = files_from_list(input.files().map_or(JsValue::NULL, Into::into));
            input.set_value("");
            if let Some(file) = files.iter().next() {
                open(file);
            }
        })
    };
    let ondragover = {
        let over = over.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if !*over {
                over.set(true);
            }
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_event: DragEvent| over.set(false))
    };
    let ondrop = {
        let over = over.clone();
        let message = message.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            over.set(false);
            let Some(transfer) = event.data_transfer() else {
                return;
            };
            let pending = files_from_drop(transfer.into());
            let open = open.clone();
            let message = message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match pending.await {
                    Ok(files) => match Array::from(&files).iter().next() {
                        Some(file) => open(file),
                        None => message.set(Some("The drop held no file.".into())),
                    },
                    Err(_) => message.set(Some("The dropped file could not be read.".into())),
                }
            });
        })
    };

    let project = &*props.project;
    let setup = project.data.table();
    // Edits of the columns: checked against the open table before the project changes.
    let change = {
        let editor = props.editor.clone();
        let table = props.table.clone();
        let message = message.clone();
        let project = props.project.clone();
        move |edit: Rc<dyn Fn(&mut TableChoice)>| {
            let editor = editor.clone();
            let table = table.clone();
            let message = message.clone();
            let project = project.clone();
            move || {
                let (Some(table), Some(setup)) = (&table, project.data.table()) else {
                    return;
                };
                let mut choice = setup.choice.clone();
                edit(&mut choice);
                match setup_for(&setup.name, table, choice, &project) {
                    Ok(next) => {
                        message.set(None);
                        editor.edit(ProjectAction::SetData(Data::Table(next)));
                    }
                    Err(error) => message.set(Some(error.to_string())),
                }
            }
        }
    };
    let columns = match (&props.table, setup) {
        (Some(table), Some(setup)) => {
            let on_label = {
                let change = change.clone();
                let table = table.clone();
                Callback::from(move |event: Event| {
                    let select: HtmlSelectElement = event.target_unchecked_into();
                    if let Ok(label) = select.value().parse::<usize>() {
                        // A column of many different numbers is a number to predict; text or
                        // a few values are classes (as the first suggestion).
                        let task = table.suggest_task(label);
                        change(Rc::new(move |choice: &mut TableChoice| {
                            choice.label = label;
                            choice.task = task;
                            choice.features.retain(|&c| c != label);
                        }))();
                    }
                })
            };
            let on_task = {
                let change = change.clone();
                Callback::from(move |event: Event| {
                    let select: HtmlSelectElement = event.target_unchecked_into();
                    let task = if select.value() == "number" {
                        TableTask::Number
                    } else {
                        TableTask::Classes
                    };
                    change(Rc::new(move |choice: &mut TableChoice| choice.task = task))();
                })
            };
            let label_options = table.headers.iter().enumerate().map(|(at, name)| {
                html! { <option value={at.to_string()} selected={at == setup.choice.label}>{ name.clone() }</option> }
            });
            let features = table.headers.iter().enumerate().filter(|(at, _)| *at != setup.choice.label).map(|(at, name)| {
                let checked = setup.choice.features.contains(&at);
                let onchange = {
                    let change = change.clone();
                    Callback::from(move |_| {
                        change(Rc::new(move |choice: &mut TableChoice| {
                            if choice.features.contains(&at) {
                                choice.features.retain(|&c| c != at);
                            } else {
                                choice.features.push(at);
                                choice.features.sort_unstable();
                            }
                        }))();
                    })
                };
                html! {
                    <label class="check"><input type="checkbox" {checked} {onchange} data-testid={format!("table-feature-{at}")} />{ name.clone() }</label>
                }
            });
            let described = match setup.choice.task {
                TableTask::Classes => format!("{} classes", setup.classes),
                TableTask::Number => "a number (standardised)".to_owned(),
            };
            let count = setup.choice.features.len();
            let features_word = if count == 1 { "feature" } else { "features" };
            html! {
                <div class="table-columns">
                    <p class="panel-note" data-testid="table-summary">{ format!("{}: {} rows, {} columns; predicting {} from {count} {features_word}.", setup.name, table.rows.len(), table.headers.len(), described) }</p>
                    <label class="control">{ "Label column" }
                        <select onchange={on_label} data-testid="table-label">{ for label_options }</select></label>
                    <label class="control">{ "The label is" }
                        <select onchange={on_task} data-testid="table-task">
                            <option value="classes" selected={setup.choice.task == TableTask::Classes}>{ "classes" }</option>
                            <option value="number" selected={setup.choice.task == TableTask::Number}>{ "a number" }</option>
                        </select></label>
                    <fieldset class="table-features"><legend>{ "Feature columns (standardised from the training rows)" }</legend>{ for features }</fieldset>
                </div>
            }
        }
        (None, Some(setup)) => html! {
            <p class="panel-note warning" data-testid="table-missing">{ format!("Open {} again to train on it: a table never leaves this device, so a link cannot carry it.", setup.name) }</p>
        },
        _ => html! {},
    };
    html! {
        <div class={classes!("table-panel", (*over).then_some("over"))} {ondragover} {ondragleave} {ondrop} data-testid="table-drop">
            <label class="file-button">{ "Choose a CSV file…" }
                <input type="file" accept=".csv,.tsv,.txt,text/csv,text/plain" onchange={on_file} data-testid="table-file" /></label>
            <span class="muted">{ " or drop one here. It is read in this tab and never uploaded." }</span>
            { for (*message).clone().map(|text| html! { <p class="panel-note error" role="alert" data-testid="table-error">{ text }</p> }) }
            { columns }
        </div>
    }
}
