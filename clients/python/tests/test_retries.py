"""Retry rules, without a server: a fake stub fails as told, then answers."""

import grpc
import pytest

from hotspot.v1 import command_service_pb2
from hotspot_client import Client, HotspotError


class FakeError(grpc.RpcError):
    def __init__(self, code):
        super().__init__()
        self._code = code

    def code(self):
        return self._code

    def details(self):
        return "fake"


class FakeStub:
    def __init__(self, failures):
        self.failures = list(failures)
        self.requests = []

    def ReferYouth(self, request, timeout, metadata):
        self.requests.append(request.request_id)
        if self.failures:
            raise FakeError(self.failures.pop(0))
        return command_service_pb2.CommandResponse(id="youth-1")


def client_with(stub):
    client = Client("127.0.0.1:1", "token", retries=3, backoff=0)
    client.commands = stub
    return client


def test_unavailable_is_retried_with_the_same_request_id():
    stub = FakeStub([grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE])
    assert client_with(stub).command("ReferYouth", area_id="a").id == "youth-1"
    assert len(stub.requests) == 3 and len(set(stub.requests)) == 1


def test_aborted_is_retried_only_without_a_pinned_version():
    stub = FakeStub([grpc.StatusCode.ABORTED])
    assert client_with(stub).command("ReferYouth", area_id="a").id == "youth-1"
    stub = FakeStub([grpc.StatusCode.ABORTED])
    with pytest.raises(HotspotError) as error:
        client_with(stub).command("ReferYouth", area_id="a", expected_version="3")
    assert error.value.code == grpc.StatusCode.ABORTED and len(stub.requests) == 1


def test_other_errors_and_too_many_failures_are_not_retried_forever():
    stub = FakeStub([grpc.StatusCode.FAILED_PRECONDITION])
    with pytest.raises(HotspotError):
        client_with(stub).command("ReferYouth", area_id="a")
    assert len(stub.requests) == 1
    stub = FakeStub([grpc.StatusCode.UNAVAILABLE] * 10)
    with pytest.raises(HotspotError):
        client_with(stub).command("ReferYouth", area_id="a")
    assert len(stub.requests) == 4
