#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: boot the VM, load the modules and run the demo program.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
exec "$VM_DIR/run.sh" --timeout 900 -- bash -c '
	. tools/vm/guest-setup.sh
	bind_edu_to_vfio
	load_project_modules
	[ "$MDOM_SETUP_ERRORS" = 0 ] || exit 1
	tools/demo/vfio_mdom_demo
	rc=$?
	unload_project_modules
	[ "$MDOM_SETUP_ERRORS" = 0 ] || exit 1
	exit $rc'
