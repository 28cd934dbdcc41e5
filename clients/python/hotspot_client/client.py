"""The wrapper: request ids, safe retries, deadlines, token and purpose metadata, iterators."""

import time
import uuid

import grpc
from google.protobuf import json_format

from hotspot.v1 import audit_service_pb2, audit_service_pb2_grpc
from hotspot.v1 import command_service_pb2, command_service_pb2_grpc
from hotspot.v1 import query_service_pb2, query_service_pb2_grpc
from hotspot.v1 import subscription_service_pb2, subscription_service_pb2_grpc
from hotspot.v1 import admin_service_pb2_grpc
from hotspot.v1 import options_pb2


def _personal_data_access():
    """Method name -> its (hotspot.v1.personal_data) option, read from the descriptors."""
    out = {}
    for module in (command_service_pb2, query_service_pb2, audit_service_pb2,
                   subscription_service_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                out[method.name] = method.GetOptions().Extensions[options_pb2.personal_data]
    return out


# Reads of youths' data: the server refuses them without a purpose (PERSONAL_DATA_ACCESS_ALWAYS),
# or needs one from the principals that receive data in clear (PERSONAL_DATA_ACCESS_BY_PRINCIPAL).
_PERSONAL_DATA = _personal_data_access()


def _read(path):
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def _channel(target, ca_file, cert_file, key_file):
    """Plaintext without TLS files; TLS (mTLS with a certificate and key) with them."""
    if ca_file is None and cert_file is None and key_file is None:
        return grpc.insecure_channel(target)
    if (cert_file is None) != (key_file is None):
        raise ValueError("cert_file and key_file: a client certificate needs its key")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(ca_file), private_key=_read(key_file),
        certificate_chain=_read(cert_file))
    return grpc.secure_channel(target, credentials)


class HotspotError(Exception):
    """A call that failed: the gRPC status code and the server's message (it names the field)."""

    def __init__(self, method, code, message):
        super().__init__(f"{method}: {code.name}: {message}")
        self.method = method
        self.code = code
        self.message = message


class Client:
    """One channel to hotspotd and the principal whose token it sends.

    token:    the bearer token (from the tokens file's owner); None or "" sends none, for a
              client certificate that hotspotd maps to a principal (mTLS).
    ca_file:  TLS: the PEM file of the CA that signed hotspotd's certificate. Giving it (or a
              client certificate) turns TLS on; without either, the channel is plaintext
              (hotspotd serves plaintext on loopback only). With a client certificate and no
              ca_file, the system's CAs are trusted.
    cert_file, key_file: mTLS: the PEM files of the client certificate and its key.
    purpose:  why reads of youths' data are made (the access log records it); each read may
              give its own.
    deadline: seconds per call, unless a call gives its own.
    retries:  attempts after the first for UNAVAILABLE (always safe: commands carry a request
              id, so a retried command is written once) and for ABORTED (only for commands that
              pin no expected_version: a pinned one must be decided again by the caller).
    """

    def __init__(self, target, token=None, purpose=None, deadline=10.0, retries=3, backoff=0.1,
                 ca_file=None, cert_file=None, key_file=None):
        self._channel = _channel(target, ca_file, cert_file, key_file)
        self._token = token
        self.purpose = purpose
        self.deadline = deadline
        self.retries = retries
        self.backoff = backoff
        self.commands = command_service_pb2_grpc.CommandServiceStub(self._channel)
        self.queries = query_service_pb2_grpc.QueryServiceStub(self._channel)
        self.audit = audit_service_pb2_grpc.AuditServiceStub(self._channel)
        self.subscriptions = subscription_service_pb2_grpc.SubscriptionServiceStub(self._channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(self._channel)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- calls -------------------------------------------------------------------------------

    def _metadata(self, method, purpose):
        metadata = [("authorization", f"Bearer {self._token}")] if self._token else []
        purpose = purpose or self.purpose
        access = _PERSONAL_DATA.get(method, options_pb2.PERSONAL_DATA_ACCESS_UNSPECIFIED)
        if access == options_pb2.PERSONAL_DATA_ACCESS_ALWAYS and not purpose:
            raise ValueError(f"{method} reads a youth's data: give a purpose")
        if access != options_pb2.PERSONAL_DATA_ACCESS_UNSPECIFIED and purpose:
            # "-bin": gRPC sends the UTF-8 bytes base64-encoded, so any text (æ, ø, å) passes.
            metadata.append(("purpose-bin", purpose.encode("utf-8")))
        return metadata

    def _call(self, stub, method, request, purpose=None, deadline=None, retry_aborted=False):
        attempt = 0
        while True:
            try:
                return getattr(stub, method)(request, timeout=deadline or self.deadline,
                                             metadata=self._metadata(method, purpose))
            except grpc.RpcError as error:
                code = error.code()
                retry = code == grpc.StatusCode.UNAVAILABLE or (
                    code == grpc.StatusCode.ABORTED and retry_aborted)
                if not retry or attempt >= self.retries:
                    raise HotspotError(method, code, error.details()) from None
                attempt += 1
                time.sleep(self.backoff * (2 ** (attempt - 1)))

    @staticmethod
    def _request(module, method, request, fields):
        if request is None:
            request = getattr(module, f"{method}Request")()
            json_format.ParseDict(fields, request)
        elif fields:
            raise ValueError("give a request message or fields, not both")
        return request

    def command(self, method, request=None, **fields):
        """Runs a command, e.g. command("ReferYouth", area_id=..., name=...). Fields are the
        request's, in protobuf JSON form (enums by name, timestamps as RFC 3339). A request id is
        generated if none is given; retries reuse it, so the command is written once."""
        request = self._request(command_service_pb2, method, request, fields)
        if not request.request_id:
            request.request_id = str(uuid.uuid4())
        pinned = request.HasField("expected_version")
        return self._call(self.commands, method, request, retry_aborted=not pinned)

    def query(self, method, request=None, purpose=None, **fields):
        """A QueryService call, e.g. query("GetCase", youth_id=...)."""
        request = self._request(query_service_pb2, method, request, fields)
        return self._call(self.queries, method, request, purpose=purpose)

    def audit_query(self, method, request=None, purpose=None, **fields):
        """A unary AuditService call, e.g. audit_query("ListAccessRecords", youth_id=...)."""
        request = self._request(audit_service_pb2, method, request, fields)
        return self._call(self.audit, method, request, purpose=purpose)

    def pages(self, method, request=None, purpose=None, **fields):
        """Every item of a paged list query, following next_page_token."""
        request = self._request(query_service_pb2, method, request, fields)
        while True:
            response = self._call(self.queries, method, request, purpose=purpose)
            items = next(f for f in response.DESCRIPTOR.fields if f.label == f.LABEL_REPEATED)
            yield from getattr(response, items.name)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def history(self, youth_id, purpose=None, deadline=None):
        """Every event of a youth's history (AuditService.GetCaseHistory), in log order."""
        request = audit_service_pb2.GetCaseHistoryRequest(youth_id=youth_id)
        responses = self.audit.GetCaseHistory(
            request, timeout=deadline or self.deadline,
            metadata=self._metadata("GetCaseHistory", purpose))
        try:
            for response in responses:
                yield from response.events
        except grpc.RpcError as error:
            raise HotspotError("GetCaseHistory", error.code(), error.details()) from None

    def subscribe(self, from_position=1, categories=(), event_types=(), area_id="",
                  max_batch=0, until_caught_up=False):
        """Follows the log: yields (event, checkpoint) for each event, and (None, checkpoint)
        where the log was examined further without an event for this subscriber (a response with
        no events, or one whose checkpoint lies past its last event, past events the filters left
        out). Store the checkpoint after handling each item and resume with
        from_position=checkpoint: nothing is lost or repeated, even after a crash in the middle
        of a batch, since an event's checkpoint is its own position + 1, not the end of its batch
        (before issue 15 every event of a response carried the response's checkpoint). With
        until_caught_up, stops at the head; otherwise runs until the caller stops iterating."""
        request = subscription_service_pb2.SubscribeRequest(
            from_position=from_position, categories=list(categories),
            event_types=list(event_types), area_id=area_id, max_batch=max_batch)
        responses = self.subscriptions.Subscribe(request, metadata=self._metadata("Subscribe", None))
        try:
            for response in responses:
                checkpoint = None
                for event in response.events:
                    checkpoint = event.position + 1
                    yield event, checkpoint
                if checkpoint is None or response.checkpoint > checkpoint:
                    yield None, response.checkpoint
                if until_caught_up and response.caught_up:
                    return
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                raise HotspotError("Subscribe", error.code(), error.details()) from None
        finally:
            responses.cancel()
