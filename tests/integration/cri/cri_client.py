#!/usr/bin/python3
"""A minimal CRI v1 client for tests/integration/test_cri.sh (crictl is not
in Debian 12): python3-grpcio and the messages protoc generates from
cri_v1_subset.proto (this folder), no grpc_tools.

    cri_client.py --address SOCKET --generated DIR COMMAND ARGS...

DIR holds cri_v1_subset_pb2.py (`protoc --python_out=DIR`).  Configs are
JSON files in the proto's field names (json_format), e.g. a pod config
{"metadata": {"name": "p", "uid": "u", "namespace": "n"}, ...}.  Commands:

    version                         runtime name, version, CRI API version
    image-status IMAGE              the image's id (exit 1 when CRI has none)
    run-pod POD_JSON HANDLER        RunPodSandbox; prints the pod's id
    pod-status POD                  PodSandboxStatus (verbose) as JSON:
                                    state, network, info (containerd: pid, ...)
    create POD CONTAINER_JSON POD_JSON
                                    CreateContainer; prints the container's id
    start CONTAINER                 StartContainer
    status CONTAINER                ContainerStatus (verbose) as JSON
    wait CONTAINER TIMEOUT_S        polls until the container exited; prints
                                    its exit code (exit 1 on timeout)
    stop CONTAINER TIMEOUT_S        StopContainer
    rm CONTAINER                    RemoveContainer
    stop-pod POD                    StopPodSandbox
    rm-pod POD                      RemovePodSandbox

Errors: one line on stderr naming the call and the gRPC status, exit 1.
"""

import argparse
import importlib
import json
import sys
import time

import grpc
from google.protobuf import json_format

RPC_TIMEOUT_S = 60


class Client:
    def __init__(self, address, generated):
        sys.path.insert(0, generated)
        self.api = importlib.import_module("cri_v1_subset_pb2")
        self.channel = grpc.insecure_channel("unix://" + address)

    def call(self, service, method, request, response_type):
        stub = self.channel.unary_unary(
            f"/runtime.v1.{service}/{method}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response_type.FromString,
        )
        try:
            return stub(request, timeout=RPC_TIMEOUT_S)
        except grpc.RpcError as error:
            raise SystemExit(f"cri_client: {method}: {error.code().name}: {error.details()}")

    def runtime(self, method, request_name, **fields):
        request = getattr(self.api, request_name + "Request")(**fields)
        return self.call("RuntimeService", method, request, getattr(self.api, request_name + "Response"))

    def load(self, message_name, path):
        with open(path) as handle:
            return json_format.ParseDict(json.load(handle), getattr(self.api, message_name)())


def as_json(message):
    return json.dumps(json_format.MessageToDict(message, preserving_proto_field_name=True), sort_keys=True)


def container_status(client, container_id):
    return client.runtime("ContainerStatus", "ContainerStatus", container_id=container_id, verbose=True)


def main():
    parser = argparse.ArgumentParser(description="minimal CRI v1 client")
    parser.add_argument("--address", required=True)
    parser.add_argument("--generated", required=True)
    parser.add_argument("command")
    parser.add_argument("arguments", nargs="*")
    options = parser.parse_args()
    client = Client(options.address, options.generated)
    api = client.api
    command, arguments = options.command, options.arguments

    if command == "version":
        reply = client.runtime("Version", "Version", version="v1")
        print(reply.runtime_name, reply.runtime_version, reply.runtime_api_version)
    elif command == "image-status":
        request = api.ImageStatusRequest(image=api.ImageSpec(image=arguments[0]))
        reply = client.call("ImageService", "ImageStatus", request, api.ImageStatusResponse)
        if not reply.image.id:
            raise SystemExit(f"cri_client: ImageStatus: no image {arguments[0]}")
        print(reply.image.id, " ".join(reply.image.repo_tags))
    elif command == "run-pod":
        config = client.load("PodSandboxConfig", arguments[0])
        if config.linux.security_context.namespace_options.network == api.NODE:
            raise SystemExit("cri_client: refusing a pod on the host's network (NamespaceMode NODE)")
        reply = client.runtime("RunPodSandbox", "RunPodSandbox", config=config, runtime_handler=arguments[1])
        print(reply.pod_sandbox_id)
    elif command == "pod-status":
        print(as_json(client.runtime("PodSandboxStatus", "PodSandboxStatus", pod_sandbox_id=arguments[0],
                                     verbose=True)))
    elif command == "create":
        config = client.load("ContainerConfig", arguments[1])
        sandbox = client.load("PodSandboxConfig", arguments[2])
        if config.linux.security_context.namespace_options.network == api.NODE:
            raise SystemExit("cri_client: refusing a container on the host's network (NamespaceMode NODE)")
        reply = client.runtime("CreateContainer", "CreateContainer", pod_sandbox_id=arguments[0], config=config,
                               sandbox_config=sandbox)
        print(reply.container_id)
    elif command == "start":
        client.runtime("StartContainer", "StartContainer", container_id=arguments[0])
    elif command == "status":
        print(as_json(container_status(client, arguments[0])))
    elif command == "wait":
        deadline = time.monotonic() + float(arguments[1])
        while True:
            status = container_status(client, arguments[0]).status
            if status.state == api.CONTAINER_EXITED:
                print(status.exit_code)
                return 0
            if time.monotonic() > deadline:
                print(f"cri_client: {arguments[0]} still {api.ContainerState.Name(status.state)}", file=sys.stderr)
                return 1
            time.sleep(0.1)
    elif command == "stop":
        client.runtime("StopContainer", "StopContainer", container_id=arguments[0], timeout=int(arguments[1]))
    elif command == "rm":
        client.runtime("RemoveContainer", "RemoveContainer", container_id=arguments[0])
    elif command == "stop-pod":
        client.runtime("StopPodSandbox", "StopPodSandbox", pod_sandbox_id=arguments[0])
    elif command == "rm-pod":
        client.runtime("RemovePodSandbox", "RemovePodSandbox", pod_sandbox_id=arguments[0])
    else:
        parser.error(f"unknown command {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
