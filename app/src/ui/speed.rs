//! The speed test view: times the reference workloads on each backend in this browser and
//! shows samples per second, so a person sees what their device can do and which backend
//! Auto should pick. The same figures are what `tests/bench/speed.mjs` reads.

use agora_engine::bench::{TimingPlan, Workload};
use yew::prelude::*;

use super::Editor;
use crate::protocol::{BackendKind, Command, SpeedRequest};
use crate::session::{Session, SessionAction, Status};
use crate::speed::grouped;

#[derive(Properties, PartialEq)]
pub struct SpeedProps {
    pub session: UseReducerHandle<Session>,
    pub editor: Editor,
}

const BACKENDS: [BackendKind; 2] = [BackendKind::Cpu, BackendKind::WebGpu];

fn backend_key(backend: BackendKind) -> &'static str {
    match backend {
        BackendKind::Cpu => "cpu",
        BackendKind::WebGpu => "webgpu",
    }
}

#[function_component(SpeedPanel)]
pub fn speed_panel(props: &SpeedProps) -> Html {
    let session = &props.session;
    let speed = &session.speed;
    let gpu_available = matches!(session.webgpu, Some(Ok(_)));
    // Which backends to time: both by default where WebGPU exists (a software adapter can
    // take minutes, so it can be left out).
    let chosen = use_state(|| None::<[bool; 2]>);
    let use_backend = chosen.unwrap_or([true, gpu_available]);
    let toggle = |index: usize| {
        let chosen = chosen.clone();
        Callback::from(move |_| {
            let mut next = use_backend;
            next[index] = !next[index];
            chosen.set(Some(next));
        })
    };
    let backends: Vec<BackendKind> = BACKENDS
        .into_iter()
        .zip(use_backend)
        .filter_map(|(backend, used)| used.then_some(backend))
        .collect();
    let run = {
        let editor = props.editor.clone();
        let backends = backends.clone();
        Callback::from(move |_| {
            editor.sessions.dispatch(SessionAction::SpeedStarted);
            editor.link.send(&Command::Speed(SpeedRequest {
                workloads: Workload::ALL.to_vec(),
                backends: backends.clone(),
                plan: TimingPlan::default(),
            }));
        })
    };
    let webgpu = match &session.webgpu {
        Some(Ok(adapter)) => format!("WebGPU adapter: {adapter}."),
        Some(Err(reason)) => format!("No WebGPU here: {reason}."),
        None => "The worker is starting…".to_owned(),
    };
    // A crashed or failed worker cannot time anything: say so here, not only on the other tabs.
    let failure = match &session.status {
        Status::Failed { message } => Some(message.clone()),
        _ => None,
    };
    let cell = |workload: Workload, backend: BackendKind| {
        let id = format!("speed-{}-{}", workload.key(), backend_key(backend));
        match speed.result(workload, backend) {
            Some(result) => match &result.result {
                Ok(timing) => html! {
                    <td data-testid={id} data-rate={format!("{:.1}", timing.median())}>
                        <strong>{ grouped(timing.median()) }</strong>
                        <div class="hint">{ format!("median of {}, {} steps of {}", timing.segments.len(), timing.steps, timing.batch_size) }</div>
                    </td>
                },
                Err(reason) => html! {
                    <td data-testid={id} data-error={reason.clone()} class="muted">{ reason.clone() }</td>
                },
            },
            None if speed.current == Some((workload, backend)) => html! {
                <td data-testid={id} class="muted" aria-busy="true">{ "timing…" }</td>
            },
            None => html! { <td data-testid={id} class="muted">{ "—" }</td> },
        }
    };
    let verdict = |workload: Workload| match speed.verdict(workload) {
        Some(verdict) => {
            let text = match verdict.ratio {
                Some(ratio) => format!("{} ({ratio:.1}×)", verdict.faster.label()),
                None => format!("{} (the only one timed)", verdict.faster.label()),
            };
            html! { <td data-testid={format!("speed-{}-faster", workload.key())} data-backend={backend_key(verdict.faster)}>{ text }</td> }
        }
        None => html! { <td class="muted">{ "—" }</td> },
    };
    html! {
        <main class="speed">
            <section class="panel" aria-label="Speed test">
                <h2>{ "How fast does this device train?" }</h2>
                <p class="panel-note">
                    { "Times three reference networks on each backend, right here: an MLP (784-128-10) and a small CNN on 28×28 images, batch 64, and a TensorFlow-Playground-sized net (2-8-8-2) on the spiral, batch 10. Adam at 1e-3 on synthetic data of the right shape; after a warm-up, at least 20 steps and one second per timed run, three runs, median shown. Nothing is sent anywhere." }
                </p>
                <p class="panel-note">{ webgpu }</p>
                { for failure.map(|message| html! {
                    <div class="banner error" role="alert" data-testid="speed-failure">{ message }</div>
                }) }
                <div class="speed-choice">
                    { for BACKENDS.iter().enumerate().map(|(index, backend)| html! {
                        <label>
                            <input type="checkbox" checked={use_backend[index]} onchange={toggle(index)} disabled={speed.running}
                                data-testid={format!("speed-use-{}", backend_key(*backend))} />
                            { format!(" {}", backend.label()) }
                        </label>
                    }) }
                </div>
                <button class="primary" onclick={run} disabled={speed.running || !session.ready() || backends.is_empty()} data-testid="speed-run">
                    { if speed.running { "Timing…" } else { "Run speed test" } }
                </button>
                <table class="confusion speed-table" data-testid="speed-table" data-done={(!speed.running && !speed.results.is_empty()).to_string()}>
                    <thead>
                        <tr>
                            <th>{ "Samples per second" }</th>
                            { for BACKENDS.iter().map(|backend| html! { <th>{ backend.label() }</th> }) }
                            <th>{ "Faster" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for Workload::ALL.iter().map(|&workload| html! {
                            <tr>
                                <th scope="row">{ workload.label() }</th>
                                { for BACKENDS.iter().map(|&backend| cell(workload, backend)) }
                                { verdict(workload) }
                            </tr>
                        }) }
                    </tbody>
                </table>
                <p class="panel-note">
                    { "Training is paused while the test runs. Auto (under Backend) makes the same comparison for your own network when you press play." }
                </p>
            </section>
        </main>
    }
}
