//! The teacher's choices for the rounds: local epochs, quorum, how updates combine, privacy in
//! plain words (with the ε it costs), and the deadline.

use agora_federated::aggregate::Rule;
use agora_federated::message::RoomSettings;
use agora_federated::privacy::{DELTA, Privacy, epsilon};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

const RULES: [(&str, Rule, &str); 4] = [
    (
        "secure",
        Rule::SecureMean,
        "Average, secure: the server sees only the sum",
    ),
    ("mean", Rule::Mean, "Average: the server sees each update"),
    (
        "median",
        Rule::Median,
        "Median (robust to a bad update): the server sees each update",
    ),
    (
        "trimmed",
        Rule::TrimmedMean { percent: 20 },
        "Trimmed mean, 20 % cut (robust): the server sees each update",
    ),
];

const PRIVACY: [&str; 5] = [
    "Off: most accurate",
    "Low noise",
    "Some noise",
    "Strong noise",
    "Very strong noise: most private",
];

fn privacy_level(settings: &RoomSettings) -> u8 {
    (0..=4)
        .find(|&level| Privacy::level(level) == settings.privacy)
        .unwrap_or(0)
}

/// What the chosen privacy means after `rounds` rounds, in words.
pub fn privacy_words(settings: &RoomSettings, rounds: usize) -> String {
    match settings.privacy {
        None => "No noise: updates are exact (with the secure rule the server still sees only their sum).".into(),
        Some(privacy) => format!(
            "Each device clips its update to a length of {} and adds noise of σ = {} × that. After {rounds} rounds a student's data is protected at ε = {:.1} (δ = 10⁻⁵): smaller is more private.",
            privacy.clip,
            privacy.noise,
            epsilon(f64::from(privacy.noise), rounds, DELTA)
        ),
    }
}

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub settings: RoomSettings,
    pub on_change: Callback<RoomSettings>,
}

#[function_component(SettingsForm)]
pub fn settings_form(props: &SettingsProps) -> Html {
    let settings = props.settings;
    let number = |apply: fn(&mut RoomSettings, u32)| {
        let on_change = props.on_change.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(value) = input.value().trim().parse::<u32>() {
                let mut next = settings;
                apply(&mut next, value);
                on_change.emit(next);
            }
        })
    };
    let on_rule = {
        let on_change = props.on_change.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some((_, rule, _)) = RULES.iter().find(|(key, _, _)| *key == select.value()) {
                on_change.emit(RoomSettings {
                    rule: *rule,
                    ..settings
                });
            }
        })
    };
    let on_privacy = {
        let on_change = props.on_change.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let level = select.value().parse::<u8>().unwrap_or(0);
            on_change.emit(RoomSettings {
                privacy: Privacy::level(level),
                ..settings
            });
        })
    };
    let level = privacy_level(&settings);
    html! {
        <div class="room-settings">
            <label>{ "Local epochs per round " }
                <input type="number" min="1" max="50" value={settings.local_epochs.to_string()}
                    onchange={number(|s, v| s.local_epochs = v)} data-testid="room-epochs" />
            </label>
            <label>{ "Quorum (fewest students a round completes with) " }
                <input type="number" min="2" max="200" value={settings.quorum.to_string()}
                    onchange={number(|s, v| s.quorum = v)} data-testid="room-quorum" />
            </label>
            <label>{ "Round deadline (s) " }
                <input type="number" min="10" max="3600" value={settings.deadline_s.to_string()}
                    onchange={number(|s, v| s.deadline_s = v)} data-testid="room-deadline" />
            </label>
            <label>{ "Combine updates by " }
                <select onchange={on_rule} data-testid="room-rule">
                    { for RULES.iter().map(|(key, rule, words)| html! {
                        <option value={*key} selected={*rule == settings.rule}>{ *words }</option>
                    }) }
                </select>
            </label>
            <label>{ "Privacy: more accurate ↔ more private " }
                <select onchange={on_privacy} data-testid="room-privacy">
                    { for PRIVACY.iter().enumerate().map(|(at, words)| html! {
                        <option value={at.to_string()} selected={at as u8 == level}>{ *words }</option>
                    }) }
                </select>
            </label>
            <p class="room-privacy-words" data-testid="room-privacy-words">{ privacy_words(&settings, 10) }</p>
        </div>
    }
}
