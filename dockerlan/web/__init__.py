"""`dockerlan web`: a page of a running lab, live, with its faults at one click.

`guard` decides who may ask, `actions` turns a click into the API verb it is,
`view` and `changes` describe the lab now and what changed (pure), `live`
samples each watched lab at the pace the machine allows, and `server` serves
the page (static/, no external assets), the JSON API and the server-sent
events. Nothing here loads unless the `web` verb runs.
"""
