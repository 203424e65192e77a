"""Answers: the pure rules (``rules``, ``reasons``, ``workdays``, ``outages``), letters and the Sutikimas
(``letters``, ``sutikimas``, ``compose``, ``outage_page``) and the mail transports (``transport``).

Nothing here writes the ledger (``itpc`` does) or imports ``ingest``.
"""
