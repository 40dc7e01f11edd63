//! What a room trains, as the teacher's page writes it into the room (opaque to the server):
//! the network, the recipe and seed, and which data — and how each member's page turns it into
//! a worker setup and its numbers into a checkpoint.

use agora_engine::checkpoint::Checkpoint;
use agora_engine::net::Network;
use agora_engine::params::{LayerParams, initial_params};
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use agora_federated::flat::{flatten, unflatten};
use serde::{Deserialize, Serialize};

use crate::backend::BackendChoice;
use crate::protocol::{Setup, TrainData};

/// The data a room learns from: each student brings their own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomData {
    /// The bundled digits; each student holds the digits they choose.
    Digits,
}

/// The room's network and how it trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomSetup {
    pub network: Network,
    pub recipe: Recipe,
    pub seed: u64,
    pub train_percent: u8,
    pub augment: Augment,
    pub backend: BackendChoice,
    pub data: RoomData,
}

impl RoomSetup {
    /// The room for a project's worker setup, or why it cannot be one.
    ///
    /// # Errors
    /// The project does not train on the digits.
    pub fn from_setup(setup: &Setup) -> Result<RoomSetup, String> {
        let data = match setup.data {
            TrainData::Digits => RoomData::Digits,
            _ => {
                return Err(
                    "A room trains on the digits for now: choose Digits under Data, then start the room."
                        .into(),
                );
            }
        };
        Ok(RoomSetup {
            network: setup.network.clone(),
            recipe: setup.recipe,
            seed: setup.seed,
            train_percent: setup.train_percent,
            augment: setup.augment,
            backend: setup.backend,
            data,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// # Errors
    /// The room's setup is from another version of Agora, or damaged.
    pub fn from_bytes(bytes: &[u8]) -> Result<RoomSetup, String> {
        postcard::from_bytes(bytes).map_err(|_| {
            "This room's network could not be read: the teacher's page may run another version of Agora. Reload both pages.".to_owned()
        })
    }

    /// The layers' shapes (the starting numbers, whose values the class model replaces).
    ///
    /// # Errors
    /// The network is invalid.
    pub fn starting(&self) -> Result<Vec<LayerParams>, String> {
        initial_params(&self.network, self.recipe.init, self.seed)
            .map_err(|error| format!("The room's network is invalid: {error}"))
    }

    /// The starting numbers as one vector (what a new room's class model is).
    ///
    /// # Errors
    /// The network is invalid.
    pub fn starting_model(&self) -> Result<Vec<f32>, String> {
        Ok(flatten(&self.starting()?))
    }

    /// A checkpoint at epoch 0 holding `model`'s numbers (a fresh optimizer each round).
    ///
    /// # Errors
    /// The model does not fit the network.
    pub fn checkpoint(&self, model: &[f32]) -> Result<Checkpoint, String> {
        let params = unflatten(&self.starting()?, model)
            .ok_or("The class model does not fit the room's network.")?;
        Ok(Checkpoint {
            params,
            optimizer: None,
            epoch: 0,
        })
    }

    /// What a member's worker trains: `local_epochs` on `data`.
    pub fn worker_setup(&self, data: TrainData, local_epochs: u32) -> Setup {
        let mut recipe = self.recipe;
        recipe.epochs = local_epochs as usize;
        Setup {
            network: self.network.clone(),
            data,
            seed: self.seed,
            train_percent: self.train_percent,
            recipe,
            augment: self.augment,
            backend: self.backend,
        }
    }
}
