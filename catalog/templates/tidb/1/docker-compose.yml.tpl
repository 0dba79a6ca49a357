{{- $pd := "" }}
{{- range $i, $host := splitPreserveQuotes .Values.pd_hosts }}
{{- if $i }}{{ $pd = printf "%s,%s:2379" $pd $host }}{{ else }}{{ $pd = printf "%s:2379" $host }}{{ end }}
{{- end }}
pd:
  image: pingcap/pd:${release}
  net: host
  entrypoint: ["/bin/sh", "-c"]
  command:
    - |
      me=""; initial=""
      for h in $$PD_HOSTS; do
        initial="$${initial:+$$initial,}pd-$$h=http://$$h:2380"
        if ip -4 -o addr | grep -q " $$h/"; then me="$$h"; fi
      done
      [ -n "$$me" ] || { echo "none of $$PD_HOSTS is an address of this host" >&2; exit 1; }
      exec /pd-server --name="pd-$$me" --data-dir=/data \
        --client-urls="http://$$me:2379" --peer-urls="http://$$me:2380" \
        --initial-cluster="$$initial"
  environment:
    PD_HOSTS: ${pd_hosts}
  volumes:
    - pd-data:/data
  labels:
    io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$${stack_name}/$${service_name}
{{- if .Values.host_label }}
    io.rancher.scheduler.affinity:host_label: ${host_label}
{{- end }}
  restart: always
tikv:
  image: pingcap/tikv:${release}
  net: host
  entrypoint: ["/bin/sh", "-c"]
  command:
    - |
      me=$$(ip -4 -o addr | grep -v ' lo ' | head -n 1 | sed 's/.* inet \([0-9.]*\).*/\1/')
      exec /tikv-server --addr="$$me:20160" --data-dir=/data --pd="{{ $pd }}"
  volumes:
    - tikv-data:/data
  labels:
    io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$${stack_name}/$${service_name}
{{- if .Values.host_label }}
    io.rancher.scheduler.affinity:host_label: ${host_label}
{{- end }}
  restart: always
tidb:
  image: pingcap/tidb:${release}
  command:
    - --store=tikv
    - --path={{ $pd }}
  ports:
    - 4000:4000/tcp
    - 10080:10080/tcp
  labels:
    io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$${stack_name}/$${service_name}
{{- if .Values.host_label }}
    io.rancher.scheduler.affinity:host_label: ${host_label}
{{- end }}
  restart: always
