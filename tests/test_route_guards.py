"""Every route is either guarded (role, side, signed in) or explicitly public."""

ALLOWED_MARKS = {"public", "signed_in", "roles", "side", "api"}


def test_every_view_declares_who_may_use_it(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        mark = getattr(view, "access", None)
        if not mark or mark[0] not in ALLOWED_MARKS:
            unguarded.append(f"{rule.rule} -> {rule.endpoint}")
    assert unguarded == []


def test_state_changing_routes_are_never_public(app):
    public_writes = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        and getattr(app.view_functions[rule.endpoint], "access", ("",))[0] == "public"
        # Signing in, signing up, asking to join, a reset link and an e-mail's unsubscribe
        # link (their signed secret the credential).
        and rule.endpoint
        not in {
            "auth.login",
            "auth.register",
            "auth.join",
            "auth.reset_password",
            "alerts.unsubscribe",
        }
    ]
    assert public_writes == []
