//! The playground's use of the one trainer: points of the plane as rows of the chosen
//! features, and the plane probe that reads what the playground draws (losses, the output and
//! every neuron over the grid, the Dense weights) as a [`Snapshot`].

use agora_app::protocol::{PlaneData, Setup};
use agora_engine::compute::{PlaneProbe, neuron_taps};
use agora_engine::data::{DOMAIN, Dataset, Point};
use agora_engine::net::{Feature, Input, Layer, Network};
use agora_engine::params::{HostTensor, LayerParams};
use agora_engine::recipe::Recipe;
use agora_engine::samples::{Rows, Samples};
use agora_engine::snapshot::{LayerWeights, Snapshot, TABLE_PLANE_DEVIATIONS};
use agora_engine::{Device, TrainError, Trainer};

/// The trainer and its plane probe.
pub struct PlaneTrainer {
    trainer: Trainer,
    probe: PlaneProbe,
}

impl PlaneTrainer {
    /// Generates the setup's points and puts them and the network on `device`, starting from
    /// `params` or the seed's starting weights.
    ///
    /// # Errors
    /// The network is invalid, does not read points, or does not fit the data.
    pub fn new(
        device: &Device,
        setup: &Setup,
        params: Option<&[LayerParams]>,
    ) -> Result<PlaneTrainer, TrainError> {
        let head = setup.network.head;
        let (train, test) = match (&setup.data, &setup.network.input) {
            (PlaneData::Points(config), Input::Points { features }) => {
                let dataset = Dataset::generate(*config);
                let rows = |points: &[Point]| Rows::from_points(points, features, head);
                (rows(&dataset.train), rows(&dataset.test))
            }
            (PlaneData::Table(table), Input::Table { .. }) => {
                (table.train.clone(), table.test.clone())
            }
            (_, input) => {
                return Err(TrainError::SizeMismatch {
                    expected: format!("{}", input.shape()),
                    actual: "other data".into(),
                });
            }
        };
        let mut trainer = Trainer::new(
            device,
            &setup.network,
            &Samples::Rows(train),
            &Samples::Rows(test),
            setup.recipe,
            params,
            setup.seed,
        )?;
        // The playground reads its losses over the whole sets through the probe.
        trainer.track_epoch_metrics(false);
        // The plane: the grid's points as the network's features, or, for a table of two
        // columns, the standardised columns themselves as the two axes (±3 σ).
        let taps = neuron_taps(&setup.network.layers);
        let probe = match &setup.network.input {
            Input::Points { features } => {
                PlaneProbe::new(&trainer, &Rows::plane_grid(features, 1.0), taps)?
            }
            Input::Table { columns: 2 } => PlaneProbe::new(
                &trainer,
                &Rows::plane_grid(&[Feature::X1, Feature::X2], TABLE_PLANE_DEVIATIONS / DOMAIN),
                taps,
            )?,
            _ => PlaneProbe::without_grid(),
        };
        Ok(PlaneTrainer { trainer, probe })
    }

    pub fn epoch(&self) -> usize {
        self.trainer.epoch()
    }

    pub fn resume_at(&mut self, epoch: usize) {
        self.trainer.resume_at(epoch);
    }

    pub fn set_recipe(&mut self, recipe: Recipe) {
        self.trainer.set_recipe(recipe);
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.trainer.batches_per_epoch()
    }

    /// Finishes the current pass over the training points (a whole one when none is under
    /// way). Reads nothing back.
    pub fn train_epoch(&mut self) {
        while !self.trainer.train_batches(usize::MAX) {}
    }

    /// Runs `steps` mini-batch steps: a cheap probe for timing a backend.
    pub fn train_steps(&mut self, steps: usize) {
        for _ in 0..steps {
            self.trainer.train_batches(1);
        }
    }

    /// Everything the playground shows, in one read.
    ///
    /// # Errors
    /// The device failed to return the data (for example, a lost GPU).
    pub async fn snapshot(&self) -> Result<Snapshot, TrainError> {
        self.probe.read(&self.trainer).await
    }
}

/// The parameters of `network` from the Dense weights a snapshot holds, to go on training
/// from them on another backend; `None` when the network has numbers a snapshot does not
/// carry (norms) or the weights do not fit.
pub fn params_from_dense(network: &Network, dense: &[LayerWeights]) -> Option<Vec<LayerParams>> {
    let mut dense = dense.iter();
    network
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense { units } => {
                let weights = dense.next()?;
                (weights.units == *units
                    && weights.weights.len() == weights.fan_in * weights.units
                    && weights.biases.len() == weights.units)
                    .then(|| {
                        vec![
                            HostTensor {
                                shape: vec![weights.fan_in, weights.units],
                                values: weights.weights.clone(),
                            },
                            HostTensor {
                                shape: vec![weights.units],
                                values: weights.biases.clone(),
                            },
                        ]
                    })
            }
            Layer::Conv2d { .. } | Layer::BatchNorm | Layer::LayerNorm => None,
            _ => Some(Vec::new()),
        })
        .collect()
}
