#!/usr/bin/env bash
# Two "hosts" on one machine for trying multi-machine training (issue 12): two network
# namespaces, h1 (10.77.0.1) and h2 (10.77.0.2), joined by a veth pair, each with its own host
# name. mpirun starts in h1; it reaches h2 the way it reaches another machine, through an
# rsh agent (scripts/netns-rsh, in place of ssh), and the ranks talk over TCP on the veth pair
# only (shared memory is excluded, as between real machines). Needs root (CAP_NET_ADMIN).
#   scripts/two-host-demo.sh up                  # create the namespaces
#   scripts/two-host-demo.sh run CONVRELU-ARGS…  # e.g. train --config configs/x.json --threads 1
#   scripts/two-host-demo.sh down                # remove them
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
case "${1:-}" in
up)
  for i in 1 2; do
    ip netns add "cr-h$i"
    mkdir -p "/etc/netns/cr-h$i"
    # `ip netns exec` bind-mounts this over /etc/hosts inside the namespace.
    printf '127.0.0.1 localhost\n10.77.0.1 h1\n10.77.0.2 h2\n' > "/etc/netns/cr-h$i/hosts"
  done
  ip link add cr-veth1 type veth peer name cr-veth2
  for i in 1 2; do
    ip link set "cr-veth$i" netns "cr-h$i"
    ip -n "cr-h$i" addr add "10.77.0.$i/24" dev "cr-veth$i"
    ip -n "cr-h$i" link set "cr-veth$i" up
    ip -n "cr-h$i" link set lo up
  done
  ip -n cr-h1 addr show cr-veth1 | grep -q 10.77.0.1 && echo "h1 (10.77.0.1) and h2 (10.77.0.2) are up, joined by cr-veth1/cr-veth2"
  ;;
run)
  shift
  # hwloc's GL plugin in mpirun probes X displays down to TCP 6000 + n (TensorBoard's 6006).
  export HWLOC_COMPONENTS=-gl
  # mpirun runs in h1 under the host name h1; rank 0 there, rank 1 on h2 through the agent.
  exec ip netns exec cr-h1 unshare --uts sh -c 'hostname h1 && exec "$@"' sh \
    mpirun --allow-run-as-root --host h1:1,h2:1 -np 2 \
      --mca plm_rsh_agent "$root/scripts/netns-rsh" \
      --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
      -x HWLOC_COMPONENTS \
      "$root/.build/release/convrelu" "$@"
  ;;
down)
  for i in 1 2; do ip netns del "cr-h$i" 2>/dev/null || true; rm -rf "/etc/netns/cr-h$i"; done
  ;;
*)
  sed -n 2,10p "$0"; exit 2
  ;;
esac
