"""The host side: shell that runs inside a virtual host, and its contract with Python.

The scripts here (`entrypoint.sh`, `lib.sh`, `dockerlan-host`) are built into
the host image. Python never writes shell: it writes data files for a host
(`data`) and reads back the marker lines the scripts print (`protocol`).
"""
