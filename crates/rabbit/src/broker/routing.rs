//! Routing: which queues a message reaches from an exchange, through
//! exchange-to-exchange bindings and alternate exchanges, with the `CC` and
//! `BCC` headers as extra routing keys; and the explanations (`RouteTrace`)
//! of every binding considered, for the playground's route view.

use super::*;

impl Broker {
    /// Routes a message through `exchange` and everything bound below it,
    /// returning the queues reached (sorted, each once). With `trace`, also
    /// records every exchange and binding considered.
    pub(super) fn route_in<'a>(
        vh: &'a Vhost,
        exchange: &'a str,
        routing_keys: &[&str],
        headers: Option<&FieldTable>,
        version: Version,
        mut trace: Option<&mut Vec<ExchangeTrace>>,
    ) -> Vec<&'a Arc<str>> {
        // Queues in the order routing first reached them; each only once.
        // Membership is tested, never iterated, so the hash set cannot make
        // the order depend on a hash seed.
        let mut queues: Vec<&'a Arc<str>> = Vec::new();
        let mut queue_set: FxHashSet<&'a str> = FxHashSet::default();
        let mut add = |q: &'a Arc<str>, queues: &mut Vec<&'a Arc<str>>| {
            if queues.len() < 16 {
                if !queues.iter().any(|x| **x == *q) {
                    queues.push(q);
                }
            } else {
                if queue_set.is_empty() {
                    queue_set.extend(queues.iter().map(|x| &***x));
                }
                if queue_set.insert(&**q) {
                    queues.push(q);
                }
            }
        };
        // Most routes visit one exchange; the work list and the visited
        // list only allocate once a second exchange is involved.
        let mut seen: Vec<&'a str> = Vec::new();
        let mut work: VecDeque<(&'a str, Option<&'a str>, bool)> = VecDeque::new();
        let mut first = Some((exchange, None, false));
        let mut matched: Vec<u32> = Vec::new();
        while let Some((xname, from, via_alt)) = first.take().or_else(|| work.pop_front()) {
            let Some(x) = vh.exchange(xname) else {
                continue;
            };
            matched.clear();
            let mut xt = trace.as_ref().map(|_| ExchangeTrace {
                exchange: xname.to_string(),
                kind: x.kind,
                reached_from: from.map(str::to_string),
                via_alternate: via_alt,
                bindings: Vec::new(),
                alternate_exchange: None,
                already_visited: false,
            });
            let mut any = false;
            if xname.is_empty() {
                // The default exchange: every queue is implicitly bound under its own name.
                for &rk in routing_keys {
                    let found = vh.queues.get(rk);
                    let exists = found.is_some();
                    if let Some(xt) = xt.as_mut() {
                        xt.bindings.push(BindingTrace {
                            binding: Binding {
                                source: String::new(),
                                destination: rk.to_string(),
                                destination_kind: DestinationKind::Queue,
                                routing_key: rk.to_string(),
                                arguments: FieldTable::new(),
                            },
                            matched: exists,
                            reason: if exists {
                                format!("the default exchange delivers to the queue named '{rk}'")
                            } else {
                                format!("the default exchange found no queue named '{rk}'")
                            },
                            topic_words: None,
                        });
                    }
                    if let Some(q) = found {
                        add(&q.shared_name, &mut queues);
                        any = true;
                    }
                }
            } else {
                match x.kind {
                    ExchangeKind::Direct => {
                        for &rk in routing_keys {
                            if let Some(ids) = x.direct.get(rk) {
                                matched.extend_from_slice(ids);
                            }
                        }
                    }
                    ExchangeKind::Fanout => matched.extend(0..x.bindings.len() as u32),
                    ExchangeKind::Topic => {
                        for &rk in routing_keys {
                            x.topic.matches_into(rk, &mut matched);
                        }
                    }
                    ExchangeKind::Headers => {
                        for (i, b) in x.bindings.iter().enumerate() {
                            if headers_match(&b.arguments, headers, version).0 {
                                matched.push(i as u32);
                            }
                        }
                    }
                }
                matched.sort_unstable();
                matched.dedup();
                any = !matched.is_empty();
                if let Some(xt) = xt.as_mut() {
                    for (i, b) in x.bindings.iter().enumerate() {
                        let hit = matched.binary_search(&(i as u32)).is_ok();
                        xt.bindings.push(explain_binding(x.kind, b, hit, routing_keys, headers, version));
                    }
                }
                for &i in &matched {
                    let b = &x.bindings[i as usize];
                    match b.destination_kind {
                        DestinationKind::Queue => add(&x.dest_names[i as usize], &mut queues),
                        DestinationKind::Exchange => {
                            if b.destination == exchange || seen.contains(&b.destination.as_str()) {
                                if let Some(t) = trace.as_deref_mut() {
                                    t.push(ExchangeTrace {
                                        exchange: b.destination.clone(),
                                        kind: vh.exchanges.get(&b.destination).map_or(ExchangeKind::Direct, |d| d.kind),
                                        reached_from: Some(xname.to_string()),
                                        via_alternate: false,
                                        bindings: Vec::new(),
                                        alternate_exchange: None,
                                        already_visited: true,
                                    });
                                }
                            } else {
                                seen.push(b.destination.as_str());
                                work.push_back((b.destination.as_str(), Some(xname), false));
                            }
                        }
                    }
                }
            }
            if !any && let Some(ae) = x.alternate() {
                let ae: &'a str = ae;
                if let Some(xt) = xt.as_mut() {
                    xt.alternate_exchange = Some(ae.to_string());
                }
                if ae != exchange && !seen.contains(&ae) && vh.exchanges.contains_key(ae) {
                    seen.push(ae);
                    // RabbitMQ visits the alternate exchange before the
                    // other destinations; none exist here, so order is kept.
                    work.push_front((ae, Some(xname), true));
                }
            }
            if let (Some(t), Some(xt)) = (trace.as_deref_mut(), xt) {
                t.push(xt);
            }
        }
        queues
    }

    /// The queues a message would reach right now, without publishing it.
    pub fn route(&self, vhost: &str, exchange: &str, routing_key: &str, headers: Option<&FieldTable>) -> Vec<String> {
        let Some(vh) = self.vhosts.get(vhost) else {
            return Vec::new();
        };
        let extra: Vec<String> =
            header_strings(headers, "CC").into_iter().chain(header_strings(headers, "BCC")).collect();
        let mut queues = if extra.is_empty() {
            Self::route_in(vh, exchange, std::slice::from_ref(&routing_key), headers, self.version, None)
        } else {
            let keys: Vec<&str> = std::iter::once(routing_key).chain(extra.iter().map(String::as_str)).collect();
            Self::route_in(vh, exchange, &keys, headers, self.version, None)
        };
        queues.sort_unstable();
        queues.into_iter().map(|q| q.to_string()).collect()
    }

    /// Explains how a message would be routed right now, binding by binding.
    pub fn explain_route(
        &self,
        vhost: &str,
        exchange: &str,
        routing_key: &str,
        headers: Option<&FieldTable>,
    ) -> RouteTrace {
        let mut keys = vec![routing_key.to_string()];
        keys.extend(header_strings(headers, "CC"));
        keys.extend(header_strings(headers, "BCC"));
        let mut steps = Vec::new();
        let mut queues: Vec<String> = self
            .vhosts
            .get(vhost)
            .map(|vh| {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                Self::route_in(vh, exchange, &keys, headers, self.version, Some(&mut steps))
                    .iter()
                    .map(|q| q.to_string())
                    .collect()
            })
            .unwrap_or_default();
        queues.sort_unstable();
        RouteTrace {
            exchange: exchange.to_string(),
            routing_keys: keys,
            exchanges: steps,
            outcome: if queues.is_empty() { RouteOutcome::Dropped } else { RouteOutcome::Routed },
            queues,
        }
    }
}

pub(super) fn header_strings(headers: Option<&FieldTable>, key: &str) -> Vec<String> {
    match headers.and_then(|h| h.get(key)) {
        Some(FieldValue::FieldArray(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Whether one binding argument equals a header value under `version`'s rule.
fn value_matches(binding: &FieldValue, header: &FieldValue, version: Version) -> bool {
    if version.headers_loose_equality() {
        headers_value_matches_loosely(binding, header)
    } else {
        headers_value_matches(binding, header)
    }
}

/// The headers-exchange rule. Returns whether the binding
/// matches and, for traces, each evaluated argument with its outcome.
pub(super) fn headers_match(args: &FieldTable, headers: Option<&FieldTable>, version: Version) -> (bool, &'static str) {
    let mode = args.get("x-match").and_then(FieldValue::as_str).unwrap_or("all");
    let (any, with_x) = match mode {
        "any" => (true, false),
        "all-with-x" => (false, true),
        "any-with-x" => (true, true),
        _ => (false, false),
    };
    let empty = FieldTable::new();
    let headers = headers.unwrap_or(&empty);
    let mut evaluated = args.iter().filter(|(k, _)| *k != "x-match" && (with_x || !k.starts_with("x-")));
    let check = |(k, v): (&String, &FieldValue)| match (v, headers.get(k)) {
        (FieldValue::Void, found) => found.is_some(),
        (_, None) => false,
        (v, Some(h)) => value_matches(v, h, version),
    };
    let matched = if any { evaluated.any(check) } else { evaluated.all(check) };
    (matched, if any { "any" } else { "all" })
}

pub(super) fn explain_binding(
    kind: ExchangeKind,
    b: &Binding,
    matched: bool,
    keys: &[&str],
    headers: Option<&FieldTable>,
    version: Version,
) -> BindingTrace {
    let mut topic_words = None;
    let reason = match kind {
        ExchangeKind::Fanout => "a fanout exchange sends to every binding".to_string(),
        ExchangeKind::Direct if matched => {
            format!("binding key '{}' equals the routing key", b.routing_key)
        }
        ExchangeKind::Direct => format!(
            "binding key '{}' differs from routing key{} {}",
            b.routing_key,
            if keys.len() > 1 { "s" } else { "" },
            keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
        ),
        ExchangeKind::Topic => {
            match keys.iter().find_map(|k| topic::explain_topic(&b.routing_key, k).map(|w| (k, w))) {
                Some((k, words)) => {
                    let parts: Vec<String> = words
                        .iter()
                        .map(|w| {
                            format!(
                                "'{}' took [{}]",
                                w.pattern,
                                w.words.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                            )
                        })
                        .collect();
                    topic_words = Some(words);
                    format!("pattern '{}' matches '{k}': {}", b.routing_key, parts.join("; "))
                }
                None => format!(
                    "pattern '{}' does not match {}",
                    b.routing_key,
                    keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
                ),
            }
        }
        ExchangeKind::Headers => {
            let (_, mode) = headers_match(&b.arguments, headers, version);
            let x_match = b.arguments.get("x-match").and_then(FieldValue::as_str).unwrap_or("all");
            let with_x = x_match.ends_with("-with-x");
            let empty = FieldTable::new();
            let h = headers.unwrap_or(&empty);
            // Say what each evaluated argument found, so a learner sees which
            // header made the difference.
            let checks: Vec<String> = b
                .arguments
                .iter()
                .filter(|(k, _)| *k != "x-match" && (with_x || !k.starts_with("x-")))
                .map(|(k, v)| match (v, h.get(k)) {
                    (FieldValue::Void, Some(_)) => format!("'{k}' is present"),
                    (FieldValue::Void, None) | (_, None) => format!("'{k}' is missing"),
                    (v, Some(found)) if value_matches(v, found, version) => format!("'{k}' equals {v:?}"),
                    (v, Some(found)) => format!("'{k}' is {found:?}, not {v:?}"),
                })
                .collect();
            let detail = if checks.is_empty() { "no arguments are evaluated".to_string() } else { checks.join("; ") };
            let verdict = if matched { "satisfy" } else { "do not satisfy" };
            format!("x-match={x_match}: the headers {verdict} {mode} of the arguments ({detail})")
        }
    };
    BindingTrace { binding: b.clone(), matched, reason, topic_words }
}
