//! The one URL codec, driven by a table of fields as TensorFlow Playground's `state.ts` is:
//! each field has its key, how to write it from a document and how to read it back. A link is
//! `key=value&key=value…`; the project lists its fields (`project/fields.rs`) and takes the
//! recipe's from here. Unreadable entries keep their defaults and are named, so the
//! page can say which.

use agora_engine::recipe::{Init, Optimizer, Penalty, Recipe, Schedule};

use crate::backend::BackendChoice;

/// One entry of a link.
pub struct Field<D> {
    pub key: &'static str,
    /// The value, or `None` when the document does not carry this field (or has its default).
    pub write: fn(&D) -> Option<String>,
    /// Reads a value into the document; `false` when it cannot be read.
    pub read: fn(&mut D, &str) -> bool,
}

/// What every document with a recipe, a seed, a split and a backend shares.
pub trait Settings {
    fn recipe(&self) -> &Recipe;
    fn recipe_mut(&mut self) -> &mut Recipe;
    /// The recipe a new document like this one starts with (fields equal to it are left out
    /// of a link).
    fn default_recipe(&self) -> Recipe;
    fn backend_mut(&mut self) -> &mut BackendChoice;
    fn backend(&self) -> BackendChoice;
}

/// The link for `document` (without `#`).
pub fn encode<D>(fields: &[Field<D>], document: &D) -> String {
    fields
        .iter()
        .filter_map(|field| (field.write)(document).map(|value| format!("{}={value}", field.key)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Reads a link (with or without `#`) into `document`; returns the keys that could not be
/// read (unknown, or a value out of reach), in the link's order.
pub fn decode<D>(fields: &[Field<D>], fragment: &str, document: &mut D) -> Vec<String> {
    let mut unreadable = Vec::new();
    let fragment = fragment.trim_start_matches('#');
    for pair in fragment.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let read = fields
            .iter()
            .find(|field| field.key == key)
            .is_some_and(|field| (field.read)(document, value));
        if !read {
            unreadable.push(key.to_owned());
        }
    }
    unreadable
}

/// The value of `key` in a link, if it has one.
pub fn value<'a>(fragment: &'a str, key: &str) -> Option<&'a str> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

fn number<T: std::str::FromStr>(value: &str, accept: impl Fn(&T) -> bool) -> Option<T> {
    value.parse::<T>().ok().filter(accept)
}

fn finite(value: &f64) -> bool {
    value.is_finite()
}

/// The recipe's fields and the backend, for any document with [`Settings`]. The playground's
/// (rate, batch, optimizer, momentum, penalty and its rate) are always written; the others
/// when they differ from the document's starting recipe.
pub fn settings_fields<D: Settings>() -> Vec<Field<D>> {
    fn changed<D: Settings, T: PartialEq>(
        document: &D,
        get: fn(&Recipe) -> T,
        show: impl Fn(T) -> String,
    ) -> Option<String> {
        let value = get(document.recipe());
        (value != get(&document.default_recipe())).then(|| show(value))
    }
    vec![
        Field {
            key: "lr",
            write: |d: &D| Some(d.recipe().learning_rate.to_string()),
            read: |d, v| {
                number(v, |rate: &f64| rate.is_finite() && *rate > 0.0)
                    .map(|rate| d.recipe_mut().learning_rate = rate)
                    .is_some()
            },
        },
        Field {
            key: "batch",
            write: |d: &D| Some(d.recipe().batch_size.to_string()),
            read: |d, v| {
                number(v, |_: &usize| true)
                    .map(|size| d.recipe_mut().batch_size = size)
                    .is_some()
            },
        },
        Field {
            key: "opt",
            write: |d: &D| Some(d.recipe().optimizer.key().to_owned()),
            read: |d, v| {
                // Links made before the playground shared the lab's recipe said "momentum"
                // for SGD with momentum 0.9.
                if v == "momentum" {
                    d.recipe_mut().optimizer = Optimizer::Sgd;
                    d.recipe_mut().momentum = 0.9;
                    return true;
                }
                Optimizer::from_key(v)
                    .map(|o| d.recipe_mut().optimizer = o)
                    .is_some()
            },
        },
        Field {
            key: "mom",
            write: |d: &D| Some(d.recipe().momentum.to_string()),
            read: |d, v| {
                number(v, |m: &f64| m.is_finite() && (0.0..1.0).contains(m))
                    .map(|m| d.recipe_mut().momentum = m)
                    .is_some()
            },
        },
        Field {
            key: "reg",
            write: |d: &D| Some(d.recipe().penalty.key().to_owned()),
            read: |d, v| {
                Penalty::from_key(v)
                    .map(|p| d.recipe_mut().penalty = p)
                    .is_some()
            },
        },
        Field {
            key: "regrate",
            write: |d: &D| Some(d.recipe().penalty_rate.to_string()),
            read: |d, v| {
                number(v, |rate: &f64| rate.is_finite() && *rate >= 0.0)
                    .map(|rate| d.recipe_mut().penalty_rate = rate)
                    .is_some()
            },
        },
        Field {
            key: "nesterov",
            write: |d: &D| changed(d, |r| r.nesterov, |on| u8::from(on).to_string()),
            read: |d, v| flag(v).map(|on| d.recipe_mut().nesterov = on).is_some(),
        },
        Field {
            key: "wd",
            write: |d: &D| changed(d, |r| r.weight_decay, |wd| wd.to_string()),
            read: |d, v| {
                number(v, |wd: &f64| wd.is_finite() && *wd >= 0.0)
                    .map(|wd| d.recipe_mut().weight_decay = wd)
                    .is_some()
            },
        },
        Field {
            key: "clip",
            write: |d: &D| {
                changed(
                    d,
                    |r| r.clip_norm,
                    |norm| norm.map_or_else(|| "off".to_owned(), |norm| norm.to_string()),
                )
            },
            read: |d, v| {
                if v == "off" {
                    d.recipe_mut().clip_norm = None;
                    return true;
                }
                number(v, |norm: &f64| finite(norm) && *norm > 0.0)
                    .map(|norm| d.recipe_mut().clip_norm = Some(norm))
                    .is_some()
            },
        },
        Field {
            key: "sched",
            write: |d: &D| {
                changed(
                    d,
                    |r| r.schedule,
                    |schedule| match schedule {
                        Schedule::Step { every, gamma } => format!("step.{every}.{gamma}"),
                        other => other.key().to_owned(),
                    },
                )
            },
            read: |d, v| {
                let schedule = match v.splitn(3, '.').collect::<Vec<_>>()[..] {
                    ["const"] => Some(Schedule::Constant),
                    ["cos"] => Some(Schedule::Cosine),
                    ["step", every, gamma] => number(every, |e: &usize| *e >= 1)
                        .zip(number(gamma, |g: &f64| g.is_finite() && *g > 0.0))
                        .map(|(every, gamma)| Schedule::Step { every, gamma }),
                    _ => None,
                };
                schedule.map(|s| d.recipe_mut().schedule = s).is_some()
            },
        },
        Field {
            key: "warmup",
            write: |d: &D| changed(d, |r| r.warmup_epochs, |n| n.to_string()),
            read: |d, v| {
                number(v, |_: &usize| true)
                    .map(|n| d.recipe_mut().warmup_epochs = n)
                    .is_some()
            },
        },
        Field {
            key: "epochs",
            write: |d: &D| changed(d, |r| r.epochs, |n| n.to_string()),
            read: |d, v| {
                number(v, |n: &usize| *n >= 1)
                    .map(|n| d.recipe_mut().epochs = n)
                    .is_some()
            },
        },
        Field {
            key: "shuffle",
            write: |d: &D| changed(d, |r| r.shuffle, |on| u8::from(on).to_string()),
            read: |d, v| flag(v).map(|on| d.recipe_mut().shuffle = on).is_some(),
        },
        Field {
            key: "init",
            write: |d: &D| changed(d, |r| r.init, |init| init.key().to_owned()),
            read: |d, v| Init::from_key(v).map(|i| d.recipe_mut().init = i).is_some(),
        },
        Field {
            key: "backend",
            write: |d: &D| Some(d.backend().key().to_owned()),
            read: |d, v| {
                BackendChoice::from_key(v)
                    .map(|b| *d.backend_mut() = b)
                    .is_some()
            },
        },
    ]
}

/// `1` or `0`.
pub fn flag(value: &str) -> Option<bool> {
    match value {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, PartialEq, Debug)]
    struct Doc {
        recipe: Recipe,
        backend: Option<BackendChoice>,
    }

    impl Settings for Doc {
        fn recipe(&self) -> &Recipe {
            &self.recipe
        }
        fn recipe_mut(&mut self) -> &mut Recipe {
            &mut self.recipe
        }
        fn default_recipe(&self) -> Recipe {
            Recipe::default()
        }
        fn backend_mut(&mut self) -> &mut BackendChoice {
            self.backend.get_or_insert(BackendChoice::Auto)
        }
        fn backend(&self) -> BackendChoice {
            self.backend.unwrap_or(BackendChoice::Auto)
        }
    }

    #[test]
    fn every_recipe_setting_round_trips_and_defaults_stay_out_of_the_link() {
        let fields = settings_fields::<Doc>();
        let plain = encode(&fields, &Doc::default());
        assert!(
            !plain.contains("sched") && !plain.contains("epochs"),
            "{plain}"
        );
        let document = Doc {
            recipe: Recipe {
                optimizer: Optimizer::Sgd,
                learning_rate: 0.125,
                momentum: 0.5,
                nesterov: true,
                weight_decay: 0.0005,
                clip_norm: Some(1.5),
                schedule: Schedule::Step {
                    every: 3,
                    gamma: 0.25,
                },
                warmup_epochs: 2,
                epochs: 40,
                batch_size: 64,
                shuffle: false,
                penalty: Penalty::L1,
                penalty_rate: 0.003,
                init: Init::Glorot,
            },
            backend: Some(BackendChoice::Cpu),
        };
        let link = encode(&fields, &document);
        let mut back = Doc::default();
        let unreadable = decode(&fields, &format!("#{link}"), &mut back);
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(back, document, "{link}");
        assert_eq!(value(&link, "sched"), Some("step.3.0.25"));
    }

    #[test]
    fn unreadable_entries_are_named_and_change_nothing() {
        let fields = settings_fields::<Doc>();
        let mut document = Doc::default();
        let unreadable = decode(
            &fields,
            "lr=-1&mom=1.5&sched=step.0.1&clip=NaN&zzz=1&batch=12&nesterov=yes&lr",
            &mut document,
        );
        assert_eq!(
            unreadable,
            ["lr", "mom", "sched", "clip", "zzz", "nesterov", "lr"]
        );
        assert_eq!(
            document,
            Doc {
                recipe: Recipe {
                    batch_size: 12,
                    ..Recipe::default()
                },
                backend: None,
            }
        );
    }
}
