"""grpc.health.v1 and server reflection."""

import grpc
import pytest
from conftest import RPC_TIMEOUT
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

TAGWIRE_SERVICES = {
    "tagwire.v1.TaggingService",
    "tagwire.v1.SubscriptionService",
    "tagwire.v1.AdminService",
}


def test_health_is_serving(server):
    response = server.health().Check(health_pb2.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_health_of_an_unknown_service_is_not_found(server):
    with pytest.raises(grpc.RpcError) as raised:
        server.health().Check(
            health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=RPC_TIMEOUT
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_and_describes_the_services(server):
    database = ProtoReflectionDescriptorDatabase(server.channel)
    services = set(database.get_services())
    assert TAGWIRE_SERVICES <= services, services
    assert "grpc.health.v1.Health" in services, services

    # The served descriptors are complete: methods resolve with their types.
    pool = DescriptorPool(database)
    tagging = pool.FindServiceByName("tagwire.v1.TaggingService")
    methods = {m.name: m for m in tagging.methods}
    assert set(methods) == {"Tag", "TagStream"}
    assert methods["TagStream"].input_type.full_name == "tagwire.v1.TagStreamRequest"
    article = pool.FindMessageTypeByName("tagwire.v1.Article")
    assert article.fields_by_name["body"].type == article.fields_by_name["body"].TYPE_BYTES
    admin = pool.FindServiceByName("tagwire.v1.AdminService")
    assert {m.name for m in admin.methods} == {"GetTaxonomy", "ReloadTaxonomy", "GetServerStats"}


def test_reflection_can_be_disabled(start_server):
    server = start_server(reflection=False)
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=RPC_TIMEOUT
    )
    with pytest.raises(grpc.RpcError) as raised:
        list(responses)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # The server itself works.
    assert (
        server.health().Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT).status
        == health_pb2.HealthCheckResponse.SERVING
    )
