//! Where the data lives, how much there is, and how to delete it.

use yew::prelude::*;

use super::bridge::*;
use super::store::*;
use crate::photos::{Album, AlbumAction, human_bytes};

#[derive(Properties, PartialEq)]
pub struct PrivacyPanelProps {
    pub project: UseReducerHandle<Album>,
}

/// Where the data lives, how much there is, and how to delete it.
#[function_component(PrivacyPanel)]
pub fn privacy_panel(props: &PrivacyPanelProps) -> Html {
    let confirming = use_state(|| false);
    let project = props.project.clone();
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(false))
    };
    let delete = {
        let confirming = confirming.clone();
        let project = project.clone();
        Callback::from(move |_| {
            confirming.set(false);
            let dispatcher = project.dispatcher();
            wasm_bindgen_futures::spawn_local(async move {
                let projects = crate::ui::keep::store_delete_projects().await;
                match store_delete_all().await.and(projects) {
                    Ok(_) => dispatcher.dispatch(AlbumAction::Cleared),
                    Err(error) => dispatcher.dispatch(AlbumAction::Refused(format!(
                        "Your data could not be deleted ({}). Close other Agora tabs and try again.",
                        js_message(&error)
                    ))),
                }
                refresh_estimate(&dispatcher).await;
            });
        })
    };
    let usage = project.storage.map_or_else(
        || "Storage use is not known yet.".to_owned(),
        |(usage, quota)| {
            format!(
                "This site uses {} of the {} this browser allows it.",
                human_bytes(usage),
                human_bytes(quota)
            )
        },
    );
    let total = project.total_images();
    html! {
        <section class="panel privacy" aria-label="Privacy" data-testid="privacy">
            <h2>{ "Your data stays here" }</h2>
            <p>{ "Your images are decoded, resized and stored by this browser, on this device (in its IndexedDB storage for this site). Training runs here too. Nothing is uploaded: the page's security policy does not even allow it to contact any other site, and it sends nothing to its own." }</p>
            <p data-testid="storage-usage">{ format!("{total} image{} stored. {usage}", if total == 1 { "" } else { "s" }) }</p>
            { if *confirming { html! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <span>{ format!("Delete all {total} images and every class from this device? This cannot be undone.") }</span>
                    <button class="danger" onclick={delete} data-testid="delete-all-confirm">{ "Yes, delete everything" }</button>
                    <button onclick={cancel}>{ "Cancel" }</button>
                </div>
            } } else { html! {
                <button class="danger" onclick={ask} data-testid="delete-all">{ "Delete all my data" }</button>
            } } }
        </section>
    }
}
