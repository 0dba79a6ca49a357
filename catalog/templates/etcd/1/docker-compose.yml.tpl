version: '2'
services:
  etcd:
    image: ${image}
    network_mode: host
    entrypoint:
      - sh
      - -c
    command:
      - |
        me=""
        initial=""
        for h in $$(echo "$$CLUSTER_HOSTS" | tr ',' ' '); do
          initial="$${initial:+$$initial,}etcd-$$h=http://$$h:2380"
          if ip -4 -o addr | grep -q " $$h/"; then me="$$h"; fi
        done
        if [ -z "$$me" ]; then echo "none of $$CLUSTER_HOSTS is an address of this host" >&2; exit 1; fi
        exec etcd --name "etcd-$$me" --data-dir /data \
          --listen-peer-urls "http://$$me:2380" --initial-advertise-peer-urls "http://$$me:2380" \
          --listen-client-urls "http://$$me:2379,http://127.0.0.1:2379" --advertise-client-urls "http://$$me:2379" \
          --initial-cluster "$$initial" --initial-cluster-state new --initial-cluster-token "{{ .Stack.Name }}-$$CLUSTER_TOKEN" \
          --heartbeat-interval {{ .Values.heartbeat_ms }} --election-timeout {{ .Values.election_timeout_ms }}
    environment:
      CLUSTER_HOSTS: ${hosts}
      CLUSTER_TOKEN: ${cluster_token}
    volumes:
      - data:/data
    labels:
      io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$${stack_name}/$${service_name}
{{- if .Values.host_label }}
      io.rancher.scheduler.affinity:host_label: ${host_label}
{{- end }}
    restart: always
volumes:
  data:
    driver: local
