#!/usr/bin/env bash
# The local sandbox: stand-ins on 127.0.0.1 for every outside system, then the main job.
#   scripts/sandbox.sh up     start the stand-ins (if not running) and run playbooks/sandbox.yml
#   scripts/sandbox.sh down   run the teardown, then stop the stand-ins
# The stand-ins are test doubles, not clouds: see docs/sandbox.md for what each one checks.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=${VENV:-$top/.venv}/bin
state=$top/.build/sandbox
mkdir -p "$state"
export ANSIBLE_CONFIG=$top/ansible.cfg

AWS_PORT=${SANDBOX_AWS_PORT:-5055}
SM_PORT=${SANDBOX_STREAMMANAGER_PORT:-5056}
ROS_PORT=${SANDBOX_ROS_PORT:-5057}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() { # name port command...
  local name=$1 port=$2; shift 2
  if port_open "$port"; then
    echo "sandbox: $name already answers on 127.0.0.1:$port"
    return
  fi
  nohup "$@" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  for _ in $(seq 1 100); do
    port_open "$port" && { echo "sandbox: $name on 127.0.0.1:$port"; return; }
    sleep 0.2
  done
  echo "sandbox: $name did not start, see $state/$name.log" >&2
  exit 1
}

stop() {
  local name=$1
  if [[ -f $state/$name.pid ]]; then
    kill "$(cat "$state/$name.pid")" 2>/dev/null || true
    rm -f "$state/$name.pid"
    echo "sandbox: stopped $name"
  fi
}

# Sandbox credentials are fixed placeholders the stand-ins accept; they are not secrets. Ansible
# masks a module's secret options (the secret key) wherever the value appears in results, so the
# placeholder must not be a word that names contain ("sandbox" masked the topic ARN
# arn:aws:sns:...:sandbox-wcs-scaling and broke the next task).
export AWS_ENDPOINT_URL=http://127.0.0.1:$AWS_PORT
export AWS_ACCESS_KEY_ID=SANDBOXACCESSKEYID00 AWS_SECRET_ACCESS_KEY=sandbox-placeholder-secret-key-0000
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export SANDBOX_STREAMMANAGER_URL=http://127.0.0.1:$SM_PORT
export SANDBOX_ROS_ENDPOINT=127.0.0.1:$ROS_PORT
export SANDBOX_STATE_DIR=$state

case ${1:-up} in
  up)
    # moto with the Auto Scaling notification configurations it lacks (the tests start the same)
    start aws-emulator "$AWS_PORT" env MOTO_ACM_VALIDATION_WAIT=1 "$bin/python" tests/standins/moto_autoscaling_notifications.py -H 127.0.0.1 -p "$AWS_PORT"
    start streammanager-simulator "$SM_PORT" "$bin/python" tests/standins/streammanager_sim.py --host 127.0.0.1 --port "$SM_PORT" --token sandbox-token
    start ros-standin "$ROS_PORT" "$bin/python" tests/standins/ros_standin.py --host 127.0.0.1 --port "$ROS_PORT"
    # Any stock image of the emulator will do as the builder's base image. An emulator left
    # running by an older checkout (plain moto_server) lacks the notification configurations:
    # say so instead of failing halfway through the topologies.
    base_image=$("$bin/python" -c '
import sys, boto3, botocore.config
once = botocore.config.Config(retries={"total_max_attempts": 1})
try:
    boto3.client("autoscaling", config=once).describe_notification_configurations(MaxRecords=1)
except Exception as exc:  # plain moto answers an HTML 500 that botocore cannot parse
    sys.exit("sandbox: the AWS emulator on %s lacks the Auto Scaling notification configurations (%s); "
             "stop it (scripts/sandbox.sh down, or end the process in .build/sandbox/aws-emulator.pid) "
             "and run again" % (boto3.client("autoscaling").meta.endpoint_url, str(exc)[:80]))
print(sorted(i["ImageId"] for i in boto3.client("ec2").describe_images(Owners=["amazon"])["Images"])[0])')
    "$bin/ansible-playbook" -i inventories/sandbox playbooks/sandbox.yml -e "sandbox_base_image_id=$base_image" "${@:2}"
    ;;
  down)
    if port_open "$AWS_PORT"; then
      "$bin/ansible-playbook" -i inventories/sandbox playbooks/sandbox.yml -e sandbox_state=absent "${@:2}"
    fi
    stop ros-standin; stop streammanager-simulator; stop aws-emulator
    rm -rf "$state/trees"
    ;;
  *)
    echo "usage: $0 up|down [ansible-playbook args]" >&2; exit 2 ;;
esac
