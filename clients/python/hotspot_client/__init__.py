"""A small Python client for hotspotd, over the stubs generated from proto/ at build time.

    from hotspot_client import Client
    with Client("127.0.0.1:50051", token=TOKEN, purpose="weekly case review") as hotspot:
        answer = hotspot.command("ReferYouth", area_id=..., name="...")
        case = hotspot.query("GetCase", youth_id=answer.id, min_position=answer.position)
        for c in hotspot.pages("ListCommitments", area_id=..., state="COMMITMENT_STATE_OPEN"):
            ...
"""

from hotspot_client.client import Client, HotspotError

__all__ = ["Client", "HotspotError"]
