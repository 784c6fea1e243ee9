"""Build conversations.db, the example's stored chat log, from the dialogues below.

    python examples/filebox/build_conversations.py [OUT]

The layout is the one tunesmith's parse stage reads (see README, "Your own conversation log"):
conversations(id, started_at, rating) and messages(conversation_id, position, role, content).
Ratings are 1-5 as users gave them, or NULL where the user gave none. Deterministic: the same
script always writes the same rows.
"""
import os
import sqlite3
import sys
from pathlib import Path

# (rating, [user, assistant, user, assistant, ...])
DIALOGUES = [
    (5, ["How do I find all my videos bigger than a gigabyte?",
         "Open quick search with Ctrl+K, set the Kind filter to video and the Size filter to larger than 1 GB. Filters combine, so you only see videos above that size."]),
    (5, ["What is a location in Filebox?",
         "A location is a folder that Filebox watches and indexes. You add one from the sidebar with Add location, and Filebox scans it in the background."]),
    (4, ["Can I share a folder with someone who doesn't use Filebox?",
         "Yes, with a share link. Select the folder, choose Share, then Create link. Anyone with the link can view and download, but links are read-only.",
         "Can they upload into it?",
         "No. Write access needs a Filebox account, so invite them as an editor instead; every change is then attributed to them in the history."]),
    (5, ["Why does search work when I'm offline?",
         "Each device keeps the index in a local database, so search reads that index instead of the network. It is updated whenever a watched folder changes."]),
    (2, ["How do I delete a tag?",
         "Tags cannot be changed."]),
    (4, ["What happens if I rename the same file on my laptop and my desktop?",
         "That is a conflict. Filebox keeps both versions: the later rename wins and the earlier one is saved as a copy with the device name appended."]),
    (1, ["my sync is broken",
         "Have you tried turning it off and on again?"]),
    (5, ["How long do deleted files stay in the trash?",
         "Thirty days. Until then you can restore a file to its original folder; emptying the trash deletes it permanently."]),
    (3, ["What's a smart folder?",
         "It's a saved search that looks like a folder in the sidebar."]),
    (5, ["Does deleting a smart folder delete my files?",
         "No. A smart folder is only a saved search, so deleting it removes the search and leaves every file where it was."]),
    (4, ["How do I find duplicate files?",
         "Open the Duplicates view. Filebox groups files by content hash, so copies show up together even when their names differ, and you can keep one copy of each."]),
    (None, ["What platforms does Filebox run on?",
         "Linux, macOS and Windows."]),
    (5, ["Can a share link expire?",
         "Yes. When you create a link you can give it an expiry date and a password. Expired links stop working at midnight UTC on that date."]),
    (2, ["How big can a shared download be?",
         "There is no limit."]),
    (4, ["How do I tag several files at once?",
         "Select the files and press Ctrl+T, or use the Tag button in the toolbar. The tag is added to every selected file and syncs to your other devices."]),
    (5, ["What does removing a device do?",
         "It signs that device out and deletes its copy of the index. Files stored on it are not touched.",
         "Will its files disappear from my library?",
         "Files that lived only on that device are no longer listed once its index is gone; files on your other locations stay."]),
    (3, ["Is sync slow for big libraries?",
         "Not really."]),
    (5, ["How does Filebox sync without uploading all my files?",
         "Only the index syncs. Each device records its changes as a log of operations, and devices exchange the operations the other has not seen, which takes little bandwidth."]),
    (4, ["Where is the GraphQL API?",
         "Every device serves it at http://localhost:7878/graphql. It reads the same local index as the app, so it works offline too."]),
    (1, ["can you recover a file i emptied from trash",
         "Sure, just look in the trash."]),
    (5, ["Whose storage does a shared folder count against?",
         "The owner's. A folder shared with another user counts towards the owner's storage quota, not the recipient's."]),
    (4, ["What kinds of files does Filebox recognise?",
         "Documents, images, videos, audio, archives, and other for everything else. The kind is decided from the file's content."]),
    (None, ["How do I add an external disk?",
         "Add it as a location: choose Add location in the sidebar and pick the disk's folder."]),
    (5, ["What does the viewer permission allow?",
         "A viewer can open and download the shared file. An editor can also rename, move and change it."]),
    (4, ["How do I change the sort order of search results?",
         "Click a column header in the results to sort by name, size, modification time or kind; click again to switch between ascending and descending. The default is newest first."]),
]


def build(out: Path) -> None:
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5)
        );
        CREATE TABLE messages (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id),
            position INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            PRIMARY KEY (conversation_id, position)
        );
        """
    )
    for i, (rating, turns) in enumerate(DIALOGUES, 1):
        db.execute(
            "INSERT INTO conversations VALUES (?, ?, ?)",
            (i, f"2026-05-{1 + i % 28:02d}T{8 + i % 10:02d}:00:00Z", rating),
        )
        for pos, text in enumerate(turns):
            role = "user" if pos % 2 == 0 else "assistant"
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?)", (i, pos, role, text))
    db.commit()
    db.close()
    os.replace(tmp, out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("conversations.db")
    build(target)
    print(f"wrote {target}")
