//! Choosing where requests go: the greeting server that served the page, the simulated server
//! in the page, or another server at a URL the learner typed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::status::Banner;
use crate::model::target::{loopback_name_mismatch, normalize_base, parse_origin, TargetKind};
use crate::net;

use super::{Playground, SideState, INFO_TIMEOUT_MS};

impl Playground {
    /// Looks for the greeting server that served the page; falls back to the simulated one.
    pub fn use_server(&self) {
        let playground = *self;
        playground.kind.set(None);
        playground.jar.set(crate::model::jar::Jar::Unknown);
        playground.close_channel();
        playground.banner.set(Banner::looking());
        spawn_local(async move {
            match net::server_info("", INFO_TIMEOUT_MS).await {
                Ok(info) => {
                    playground.base.set(String::new());
                    playground
                        .banner
                        .set(Banner::connected(&info, &net::page_origin()));
                    playground.info.set(Some(info));
                    playground.kind.set(Some(TargetKind::Server));
                    playground.open_channel("", false);
                    playground.refresh_jar();
                }
                Err(reason) => {
                    playground.use_simulated();
                    playground.banner.set(Banner::fell_back(&reason));
                }
            }
        });
    }

    pub fn use_simulated(&self) {
        self.close_channel();
        self.info.set(None);
        self.base.set(String::new());
        self.kind.set(Some(TargetKind::Simulated));
        self.side.set(SideState::InPage);
        self.sim_jar
            .set(self.sim.with_value(|s| s.jar().map(str::to_string)));
        self.banner.set(Banner::simulated());
    }

    pub fn use_custom(&self) {
        let playground = *self;
        let base = match normalize_base(&playground.custom_url.get_untracked()) {
            Ok(b) => b,
            Err(e) => {
                playground.banner.set(Banner::not_an_address(e));
                return;
            }
        };
        playground.close_channel();
        playground.info.set(None);
        playground.jar.set(crate::model::jar::Jar::Unknown);
        playground.base.set(base.clone());
        playground.custom_url.set(base.clone());
        playground.kind.set(Some(TargetKind::Custom));
        let page = net::page_origin();
        let mismatch = match (parse_origin(&page), parse_origin(&base)) {
            (Some(p), Some(t)) => loopback_name_mismatch(&p, &t),
            _ => false,
        };
        playground
            .banner
            .set(Banner::other_server(&base, &page, mismatch));
        spawn_local(async move {
            if let Ok(info) = net::server_info(&base, INFO_TIMEOUT_MS).await {
                playground.info.set(Some(info));
                playground.open_channel(&base, true);
                playground.refresh_jar();
            }
        });
    }
}
