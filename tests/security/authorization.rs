//! API5, broken function level authorization: an admin hands out only what it holds. An admin
//! granted some companies may not widen its own grant, may not create or edit a client with a
//! company it does not hold, and may not change, remove or take the secret of a client that
//! holds more than it does; each attempt answers 403 in OData error JSON and changes nothing.
//! An admin granted every company may do all of it, except to itself: no client disables,
//! removes or changes the roles or companies of itself (409), so nobody locks the admins out.

use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};
use wharf::auth::Role;

use super::{get, odata_error, ok_json, post, send};
use crate::server::{Backend, FABRIKAM, OPS, TestServer, on_both_backends};

/// An admin granted only company `usmf`.
const USMF_ADMIN: &str = "usmf-admin";

/// A data-management client granted only company `fab`, which [`USMF_ADMIN`] does not hold.
const FAB_APP: &str = "fab-app";

/// A server with [`USMF_ADMIN`] and [`FAB_APP`] registered besides the usual clients.
fn server(backend: Backend) -> TestServer {
    let mut server = TestServer::start_on(backend);
    server.register(USMF_ADMIN, &[Role::Admin], &["usmf"]);
    server.register(FAB_APP, &[Role::DataManagement], &["fab"]);
    server
}

/// A new registration as the management API takes it.
fn registration(id: &str, roles: &[&str], companies: Value) -> String {
    json!({ "id": id, "name": id, "roles": roles, "companies": companies, "enabled": true }).to_string()
}

/// `client` as the management API showed it, with other roles and companies: a `PUT` body.
fn edited(client: &Value, roles: &[&str], companies: Value) -> String {
    let mut client = client.clone();
    client["roles"] = json!(roles);
    client["companies"] = companies;
    client.to_string()
}

fn put(server: &TestServer, token: &str, path: &str, body: String) -> Response {
    send(server, Some(token), Method::PUT, path, body)
}

/// Client `id` as an admin granted every company sees it, or `None` when there is none.
fn client(server: &TestServer, ops: &str, id: &str) -> Option<Value> {
    let response = get(server, ops, &format!("/manage/clients/{id}"));
    match response.status().as_u16() {
        404 => None,
        _ => Some(ok_json(response, &format!("client {id}"))),
    }
}

fn an_admin_granted_one_company_cannot_widen_its_own_grant(backend: Backend) {
    let server = server(backend);
    let (admin, ops) = (server.token(USMF_ADMIN), server.token(OPS));
    let before = client(&server, &ops, USMF_ADMIN).expect("the admin is registered");
    let path = format!("/manage/clients/{USMF_ADMIN}");
    for companies in [json!("*"), json!(["usmf", "fab"]), json!(["fab"])] {
        let what = format!("widening its own grant to {companies}");
        odata_error(put(&server, &admin, &path, edited(&before, &["admin"], companies)), 403, &what);
        assert_eq!(client(&server, &ops, USMF_ADMIN).as_ref(), Some(&before), "{what} changed it");
    }
    // What it holds already it may keep, under another name.
    let mut renamed = before.clone();
    renamed["name"] = json!("USMF admin");
    renamed["companies"] = json!(["USMF"]);
    let kept = ok_json(put(&server, &admin, &path, renamed.to_string()), "renaming itself");
    assert_eq!((kept["name"].as_str(), &kept["companies"]), (Some("USMF admin"), &json!(["usmf"])), "{kept}");
}

fn an_admin_granted_one_company_creates_and_edits_clients_only_within_it(backend: Backend) {
    let server = server(backend);
    let (admin, ops) = (server.token(USMF_ADMIN), server.token(OPS));
    for (id, companies) in
        [("every-company", json!("*")), ("other-company", json!(["fab"])), ("one-more", json!(["usmf", "fab"]))]
    {
        let what = format!("creating a client granted {companies}");
        let body = registration(id, &["data-management"], companies);
        odata_error(post(&server, &admin, "/manage/clients", body), 403, &what);
        assert_eq!(client(&server, &ops, id), None, "{what} registered it");
    }

    let body = registration("usmf-app", &["data-management"], json!(["usmf"]));
    let created = ok_json(post(&server, &admin, "/manage/clients", body), "creating a client within its grant");
    assert_eq!(created["client"]["companies"], json!(["usmf"]), "{created}");
    let before = client(&server, &ops, "usmf-app").expect("the new client");
    for companies in [json!("*"), json!(["usmf", "fab"])] {
        let what = format!("widening a client it created to {companies}");
        let body = edited(&before, &["data-management"], companies);
        odata_error(put(&server, &admin, "/manage/clients/usmf-app", body), 403, &what);
        assert_eq!(client(&server, &ops, "usmf-app").as_ref(), Some(&before), "{what} changed it");
    }
}

fn an_admin_granted_one_company_cannot_change_remove_or_take_over_a_client_holding_more(backend: Backend) {
    let server = server(backend);
    let (admin, ops) = (server.token(USMF_ADMIN), server.token(OPS));
    let clients_before = ok_json(get(&server, &ops, "/manage/clients"), "clients");
    for target in [OPS, FAB_APP] {
        let path = format!("/manage/clients/{target}");
        let before = client(&server, &ops, target).expect("the target is registered");
        let narrowed = edited(&before, &["data-management"], json!(["usmf"]));
        odata_error(put(&server, &admin, &path, narrowed), 403, &format!("narrowing {target} into its own grant"));
        let secret = post(&server, &admin, &format!("{path}/secret"), Vec::new());
        odata_error(secret, 403, &format!("resetting the secret of {target}"));
        odata_error(send(&server, Some(&admin), Method::DELETE, &path, Vec::new()), 403, &format!("removing {target}"));
    }
    assert_eq!(ok_json(get(&server, &ops, "/manage/clients"), "clients"), clients_before, "nothing changed");
    // The secrets were not reset: both clients still get tokens with the ones they had.
    let _ = (server.token(OPS), server.token(FAB_APP));
}

fn an_admin_granted_every_company_may_grant_every_company_and_roles_stay_with_admins(backend: Backend) {
    let server = server(backend);
    let (ops, fabrikam) = (server.token(OPS), server.token(FABRIKAM));
    // A data-management client reaches no client route, so it cannot give itself a role.
    let fabrikam_before = client(&server, &ops, FABRIKAM).expect("fabrikam is registered");
    let promoted = edited(&fabrikam_before, &["admin", "data-management"], json!("*"));
    odata_error(put(&server, &fabrikam, &format!("/manage/clients/{FABRIKAM}"), promoted), 403, "self-promotion");

    let before = client(&server, &ops, USMF_ADMIN).expect("the admin is registered");
    let widened = edited(&before, &["admin"], json!("*"));
    let body = ok_json(put(&server, &ops, &format!("/manage/clients/{USMF_ADMIN}"), widened), "widening by `*`");
    assert_eq!(body["companies"], "*", "{body}");
    let admin = server.token(USMF_ADMIN);
    let body = registration("every-company", &["data-management"], json!("*"));
    let created = ok_json(post(&server, &admin, "/manage/clients", body), "creating once granted every company");
    assert_eq!(created["client"]["companies"], "*", "{created}");
}

fn no_admin_disables_removes_or_demotes_itself_and_another_admin_may(backend: Backend) {
    let mut server = server(backend);
    server.register("second-admin", &[Role::Admin], &["*"]);
    let (ops, second) = (server.token(OPS), server.token("second-admin"));
    let before = client(&server, &ops, OPS).expect("ops is registered");
    let path = format!("/manage/clients/{OPS}");
    let mut disabled = before.clone();
    disabled["enabled"] = json!(false);
    for (what, body) in [
        ("disabling itself", disabled.to_string()),
        ("giving up the admin role", edited(&before, &["operator"], json!("*"))),
        ("narrowing its own companies", edited(&before, &["admin"], json!(["usmf"]))),
    ] {
        odata_error(put(&server, &ops, &path, body), 409, what);
        assert_eq!(client(&server, &ops, OPS).as_ref(), Some(&before), "{what} changed it");
    }
    odata_error(send(&server, Some(&ops), Method::DELETE, &path, Vec::new()), 409, "removing itself");
    let mut renamed = before.clone();
    renamed["name"] = json!("Operations");
    let kept = ok_json(put(&server, &ops, &path, renamed.to_string()), "renaming itself");
    assert_eq!(kept["roles"], before["roles"], "{kept}");

    let demoted = ok_json(put(&server, &second, &path, edited(&before, &["operator"], json!("*"))), "another admin");
    assert_eq!(demoted["roles"], json!(["operator"]), "{demoted}");
    let removed = send(&server, Some(&second), Method::DELETE, &path, Vec::new());
    assert_eq!(removed.status(), 204, "another admin removes it");
}

on_both_backends!(
    no_admin_disables_removes_or_demotes_itself_and_another_admin_may,
    an_admin_granted_one_company_cannot_widen_its_own_grant,
    an_admin_granted_one_company_creates_and_edits_clients_only_within_it,
    an_admin_granted_one_company_cannot_change_remove_or_take_over_a_client_holding_more,
    an_admin_granted_every_company_may_grant_every_company_and_roles_stay_with_admins,
);
