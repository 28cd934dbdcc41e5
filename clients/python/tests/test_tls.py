"""The Python client over TLS and mTLS (see conftest.py for the servers and the PKI)."""

import os
import subprocess
import sys

import grpc
import pytest

from hotspot_client import Client, HotspotError

AREA = "area-sjaelor-boulevard"


def _mtls(server, pki, cert="client", token=None, ca="ours", client_pki="ours", **kwargs):
    ours, theirs = pki[ca], pki[client_pki]
    return Client(server["target"], token, ca_file=f"{ours}/ca.pem",
                  cert_file=f"{theirs}/{cert}.pem", key_file=f"{theirs}/{cert}.key",
                  deadline=5.0, retries=0, **kwargs)


def test_tls_with_a_token(hotspotd_tls, pki):
    chief = hotspotd_tls["tokens"]["chief-anna"]
    with Client(hotspotd_tls["target"], chief, ca_file=f"{pki['ours']}/ca.pem",
                purpose="case_coordination: test") as hotspot:
        assert len(list(hotspot.pages("ListCases", area_id=AREA, page_size=20))) >= 40
    for client in (Client(hotspotd_tls["target"], chief, deadline=5.0, retries=0, purpose="x: y"),
                   Client(hotspotd_tls["target"], chief, ca_file=f"{pki['other']}/ca.pem",
                          deadline=5.0, retries=0, purpose="x: y")):
        with client:
            with pytest.raises(HotspotError) as error:
                client.query("ListCases", area_id=AREA)
            assert error.value.code == grpc.StatusCode.UNAVAILABLE


def test_a_mapped_client_certificate_is_its_principal_without_a_token(hotspotd_mtls, pki):
    with _mtls(hotspotd_mtls, pki) as integration:
        positions = [e.position for e, _ in integration.subscribe(until_caught_up=True) if e]
        assert len(positions) >= 100
        assert positions == sorted(set(positions))
    # Its principal and a token of another: two identities, refused.
    chief = hotspotd_mtls["tokens"]["chief-anna"]
    with _mtls(hotspotd_mtls, pki, token=chief, purpose="case_coordination: test") as both:
        with pytest.raises(HotspotError) as error:
            both.query("ListCases", area_id=AREA)
        assert error.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert error.value.message == (
            "the bearer token is chief-anna's and the client certificate system-case-records's: "
            "send one identity (the token, or the certificate alone)")


def test_an_unmapped_certificate_needs_a_token(hotspotd_mtls, pki):
    chief = hotspotd_mtls["tokens"]["chief-anna"]
    with _mtls(hotspotd_mtls, pki, cert="operator", token=chief,
               purpose="case_coordination: test") as hotspot:
        cases = list(hotspot.pages("ListCases", area_id=AREA, page_size=20))
        assert len(cases) >= 40
    with _mtls(hotspotd_mtls, pki, cert="operator", purpose="case_coordination: test") as nobody:
        with pytest.raises(HotspotError) as error:
            nobody.query("ListCases", area_id=AREA)
        assert error.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert "cn:operator-workstation" in error.value.message


def test_strange_certificates_and_plaintext_are_refused(hotspotd_mtls, pki):
    chief = hotspotd_mtls["tokens"]["chief-anna"]
    refused = [
        # A client certificate of another CA.
        _mtls(hotspotd_mtls, pki, client_pki="other", purpose="x: y"),
        # A server certificate of a CA the client does not trust.
        _mtls(hotspotd_mtls, pki, ca="other", purpose="x: y"),
        # No client certificate (TLS only), and plaintext.
        Client(hotspotd_mtls["target"], chief, ca_file=f"{pki['ours']}/ca.pem", deadline=5.0,
               retries=0, purpose="x: y"),
        Client(hotspotd_mtls["target"], chief, deadline=5.0, retries=0, purpose="x: y"),
    ]
    for client in refused:
        with client:
            with pytest.raises(HotspotError) as error:
                client.query("ListCases", area_id=AREA)
            assert error.value.code == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(ValueError):
        Client(hotspotd_mtls["target"], cert_file=f"{pki['ours']}/client.pem")


def test_the_example_runs_over_mtls_from_its_environment(hotspotd_mtls, pki):
    """The example as a user runs it: the server, the token and the TLS files from the same
    environment variables as hotspotctl's (an operator certificate, which needs the token)."""
    ours = pki["ours"]
    example = os.path.join(os.path.dirname(__file__), "..", "examples", "refer_and_commit.py")
    env = dict(os.environ, HOTSPOT_SERVER=hotspotd_mtls["target"],
               HOTSPOT_TOKEN=hotspotd_mtls["tokens"]["chief-anna"],
               HOTSPOT_TLS_CA_FILE=f"{ours}/ca.pem", HOTSPOT_TLS_CERT_FILE=f"{ours}/operator.pem",
               HOTSPOT_TLS_KEY_FILE=f"{ours}/operator.key", PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, example], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Daily attendance follow-up with the family" in run.stdout
    # Without the CA file the client does not trust hotspotd's certificate: no call is made.
    del env["HOTSPOT_TLS_CA_FILE"]
    refused = subprocess.run([sys.executable, example], env=env, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode != 0
    assert "UNAVAILABLE" in refused.stderr
