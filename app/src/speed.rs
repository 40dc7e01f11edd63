//! The speed test: how fast this device trains the reference workloads on each backend.
//! The worker times them (`agora_engine::bench`); this is what the page keeps of its reports,
//! changed only by [`SpeedSession::apply`], tested natively.

use agora_engine::bench::{Timing, Workload};

use crate::protocol::{BackendKind, SpeedEvent};

/// One measured pair.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeedResult {
    pub workload: Workload,
    pub backend: BackendKind,
    pub result: Result<Timing, String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct SpeedSession {
    pub running: bool,
    pub current: Option<(Workload, BackendKind)>,
    pub results: Vec<SpeedResult>,
}

/// Which backend was faster on a workload, and by how much.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub faster: BackendKind,
    /// Faster's samples per second over the other's; `None` when only one backend ran.
    pub ratio: Option<f64>,
}

impl SpeedSession {
    /// The page asked the worker for a speed test: earlier figures go.
    #[must_use]
    pub fn started(self) -> SpeedSession {
        SpeedSession {
            running: true,
            current: None,
            results: Vec::new(),
        }
    }

    #[must_use]
    pub fn apply(mut self, event: SpeedEvent) -> SpeedSession {
        match event {
            SpeedEvent::Timing { workload, backend } => {
                self.running = true;
                self.current = Some((workload, backend));
            }
            SpeedEvent::Measured {
                workload,
                backend,
                result,
            } => {
                self.results
                    .retain(|old| (old.workload, old.backend) != (workload, backend));
                self.results.push(SpeedResult {
                    workload,
                    backend,
                    result,
                });
            }
            SpeedEvent::Done => {
                self.running = false;
                self.current = None;
            }
        }
        self
    }

    /// The result for one pair, if measured.
    pub fn result(&self, workload: Workload, backend: BackendKind) -> Option<&SpeedResult> {
        self.results
            .iter()
            .find(|result| result.workload == workload && result.backend == backend)
    }

    /// The faster backend on `workload` by median samples per second, among those that ran.
    pub fn verdict(&self, workload: Workload) -> Option<Verdict> {
        let mut ran: Vec<(BackendKind, f64)> = self
            .results
            .iter()
            .filter(|result| result.workload == workload)
            .filter_map(|result| {
                result
                    .result
                    .as_ref()
                    .ok()
                    .map(|timing| (result.backend, timing.median()))
            })
            .filter(|(_, rate)| *rate > 0.0)
            .collect();
        ran.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (faster, best) = *ran.first()?;
        Some(Verdict {
            faster,
            ratio: ran.get(1).map(|(_, other)| best / other),
        })
    }
}

/// "12,345": a rate rounded to a whole number, thousands grouped.
pub fn grouped(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = value.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_thousands() {
        assert_eq!(grouped(1_234_567.4), "1,234,567");
        assert_eq!(grouped(999.6), "1,000");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(grouped(f64::NAN), "0");
    }

    fn timing(rates: &[f64]) -> Timing {
        Timing {
            segments: rates.to_vec(),
            steps: 60,
            batch_size: 64,
        }
    }

    #[test]
    fn results_replace_their_pair_and_the_verdict_uses_medians() {
        let session = SpeedSession::default().started().apply(SpeedEvent::Timing {
            workload: Workload::Mlp,
            backend: BackendKind::Cpu,
        });
        assert!(session.running);
        assert_eq!(session.current, Some((Workload::Mlp, BackendKind::Cpu)));
        let session = session
            .apply(SpeedEvent::Measured {
                workload: Workload::Mlp,
                backend: BackendKind::Cpu,
                // Median 300, though one segment was faster than WebGPU's.
                result: Ok(timing(&[100.0, 300.0, 900.0])),
            })
            .apply(SpeedEvent::Measured {
                workload: Workload::Mlp,
                backend: BackendKind::WebGpu,
                result: Ok(timing(&[600.0])),
            })
            .apply(SpeedEvent::Measured {
                workload: Workload::Cnn,
                backend: BackendKind::WebGpu,
                result: Err("WebGPU is not available".into()),
            })
            .apply(SpeedEvent::Measured {
                workload: Workload::Cnn,
                backend: BackendKind::Cpu,
                result: Ok(timing(&[50.0])),
            });
        let mlp = session.verdict(Workload::Mlp).expect("two backends ran");
        assert_eq!(mlp.faster, BackendKind::WebGpu);
        assert!((mlp.ratio.expect("two ran") - 2.0).abs() < 1e-9);
        let cnn = session.verdict(Workload::Cnn).expect("the CPU ran");
        assert_eq!(cnn.faster, BackendKind::Cpu);
        assert_eq!(cnn.ratio, None, "a failed backend is not compared");
        assert_eq!(session.verdict(Workload::Playground), None);
        // Measuring a pair again replaces it.
        let session = session.apply(SpeedEvent::Measured {
            workload: Workload::Mlp,
            backend: BackendKind::Cpu,
            result: Ok(timing(&[1_200.0])),
        });
        assert_eq!(session.results.len(), 4);
        assert_eq!(
            session.verdict(Workload::Mlp).map(|v| v.faster),
            Some(BackendKind::Cpu)
        );
        let session = session.apply(SpeedEvent::Done);
        assert!(!session.running);
        assert_eq!(session.current, None);
        assert!(session.started().results.is_empty());
    }
}
