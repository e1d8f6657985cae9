print("imagecat bootstrap: not wired yet")
