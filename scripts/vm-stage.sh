#!/bin/bash
# Sourced by the VM scripts (test-stock.sh, two-machines.sh): a throw-away
# clone of this repository's HEAD that also holds the images built here, for
# the VM to clone (a build inside the emulated VM takes 20 minutes).

# stage_project DIR: builds the images, clones HEAD into DIR/project and
# commits images.tar.gz there.
stage_project() {
    local stage=$1
    say "building the images here"
    .venv/bin/dockerlan images build --quiet
    git clone -q . "$stage/project"
    say "saving the images into the copy the VM clones"
    docker save dockerlan-host:latest dockerlan-proc:latest | gzip -1 >"$stage/project/images.tar.gz"
    git -C "$stage/project" add -f images.tar.gz
    git -C "$stage/project" -c user.name=stock -c user.email=stock@localhost commit -qm "images"
}
