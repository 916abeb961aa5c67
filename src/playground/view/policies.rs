//! The canvas's RabbitMQ policies: a list with what each applies and why
//! the broker refused one, and a form to add, change or remove them. The
//! queue inspector shows which policy a queue ended up with.

use super::Ctx;
use crate::playground::model::policies::{APPLY_TO, PolicyForm, summary};
use leptos::prelude::*;

/// The policies panel, shown when nothing on the canvas is selected.
#[component]
pub(super) fn Policies(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let policies = Memo::new(move |_| ctx.editor.with(|e| e.topology.policies.clone()));
    let refusals = Memo::new(move |_| {
        ctx.frame.track();
        ctx.editor.track();
        let names = policies.get();
        ctx.sim.with_value(|s| {
            names.iter().map(|p| s.policy_problem(&p.vhost, &p.name).map(str::to_string)).collect::<Vec<_>>()
        })
    });
    // The policy the form edits (vhost and name), or none for a new one.
    let editing = RwSignal::new(None::<(String, String)>);
    let form = RwSignal::new(PolicyForm::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let target = editing.get_untracked();
        let replacing = target.as_ref().map(|(v, n)| (v.as_str(), n.as_str()));
        let result = ctx.editor.try_update(|e| form.with_untracked(|f| e.set_policy(f, replacing)));
        match result {
            Some(Err(why)) => error.set(Some(why.to_string())),
            _ => {
                error.set(None);
                editing.set(None);
                form.set(PolicyForm::new());
            }
        }
    };
    let field = move |label: &'static str, read: fn(&PolicyForm) -> String, write: fn(&mut PolicyForm, String)| {
        view! {
            <label class="pg-field">
                <span>{label}</span>
                <input type="text" prop:value=move || form.with(read)
                    on:input=move |ev| form.update(|f| write(f, event_target_value(&ev))) />
            </label>
        }
    };
    view! {
        <section class="pg-policies" aria-labelledby="pg-policies-heading">
            <h3 id="pg-policies-heading">"Policies"</h3>
            <p class="pg-hint">"A policy sets queue or exchange keys by a name pattern; of the policies that match, the one of highest priority applies."</p>
            <Show when=move || policies.with(|p| !p.is_empty())
                fallback=|| view! { <p>"No policies."</p> }>
                <ul aria-label="Policies">
                    {move || policies.get().into_iter().enumerate().map(|(i, p)| {
                        let (vhost, name) = (p.vhost.clone(), p.name.clone());
                        let (edit_v, edit_n) = (vhost.clone(), name.clone());
                        let edit_form = PolicyForm::of(&p);
                        view! {
                            <li>
                                <strong>{p.name.clone()}</strong>": "{summary(&p)}
                                {move || refusals.with(|r| r.get(i).cloned().flatten()).map(|why| view! {
                                    <p class="pg-error" role="note">{format!("Refused: {why}")}</p>
                                })}
                                <button type="button" aria-label=format!("Edit policy {}", p.name)
                                    on:click=move |_| {
                                        form.set(edit_form.clone());
                                        editing.set(Some((edit_v.clone(), edit_n.clone())));
                                        error.set(None);
                                    }>"Edit"</button>
                                <button type="button" aria-label=format!("Remove policy {}", p.name)
                                    on:click=move |_| ctx.editor.update(|e| e.remove_policy(&vhost, &name))>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <form aria-label="Policy" on:submit=submit>
                {field("Policy name", |f| f.name.clone(), |f, v| f.name = v)}
                {field("Vhost", |f| f.vhost.clone(), |f, v| f.vhost = v)}
                {field("Pattern", |f| f.pattern.clone(), |f, v| f.pattern = v)}
                <div class="pg-field">
                    <label for="pg-policy-apply-to"><span>"Apply to"</span></label>
                    <select id="pg-policy-apply-to" on:change=move |ev| form.update(|f| f.apply_to = event_target_value(&ev))>
                        {APPLY_TO.into_iter().map(|a| view! {
                            <option value=a.as_str() prop:selected=move || form.with(|f| f.apply_to == a.as_str())>{a.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {field("Priority", |f| f.priority.clone(), |f, v| f.priority = v)}
                {field("Definition", |f| f.definition.clone(), |f, v| f.definition = v)}
                <p class="pg-hint">"Definition as key=value pairs, e.g. max-length=2, overflow=reject-publish"</p>
                {move || error.get().map(|why| view! { <p class="pg-error" role="alert">{why}</p> })}
                <button type="submit">{move || if editing.with(Option::is_some) { "Save policy" } else { "Add policy" }}</button>
                <Show when=move || editing.with(Option::is_some)>
                    <button type="button" on:click=move |_| { editing.set(None); form.set(PolicyForm::new()); error.set(None); }>"Cancel"</button>
                </Show>
            </form>
        </section>
    }
}
